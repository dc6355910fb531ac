// The policy's status, rebuilt from observation on every reconcile: what the operator found
// (valid or not, watched or not, conflicts), what the DaemonSet controller reports, and what the
// agent pods' states say (agents that cannot start or keep exiting: ./agent-failures.ts). Conditions
// keep their lastTransitionTime while their status stays the same, and two statuses are compared
// without it, so a steady policy never gets a status write.
import { ConditionType, type AgentFailure, type Condition, type Conflict, type SnifferPolicyStatus } from '../api/status.js';
import { AGENT_FAILING } from './agent-failures.js';
import { canonicalJson } from './compare.js';
import type { ObservedDaemonSet } from './observed.js';

type C = Omit<Condition, 'lastTransitionTime' | 'observedGeneration'>;
const cond = (type: ConditionType, status: Condition['status'], reason: string, message: string): C => ({ type, status, reason, message });

/** Why a policy is not deployed at all (terminal until the spec, or the operator's settings, change). */
export interface Blocked {
  reason: 'InvalidSpec' | 'PrivilegedNotAllowed' | 'AgentConfigRefused' | 'NamespaceNotWatched';
  message: string;
}

export interface StatusInput {
  generation: number;
  blocked?: Blocked;
  paused: boolean;
  daemonSet: ObservedDaemonSet | undefined;
  /** The config hash of the desired agent config, when rendered. */
  conflicts: { lost: Conflict[]; excludedNodes: string[]; winsOver: string[] } | undefined;
  /** An apply the API server refused (retried with backoff). */
  applyError?: string;
  /** Agents that cannot start or keep exiting (./agent-failures.ts). */
  agentFailures?: { listed: AgentFailure[]; total: number; message: string };
  /** spec.enrichment.enabled, and the state of the operator's identity map. */
  enrichment?: { enabled: boolean; map: IdentityMapState; bucket: string };
}

/** published: this operator leads and keeps the map current; unavailable: it should but cannot (NATS); notConfigured: no --identity-map-nats. */
export type IdentityMapState = 'published' | 'unavailable' | 'notConfigured';

function enrichedCondition(e: NonNullable<StatusInput['enrichment']>): C {
  if (!e.enabled) return cond('Enriched', 'False', 'Disabled', 'spec.enrichment.enabled is false: flow records carry no Kubernetes identities');
  if (e.map === 'published') return cond('Enriched', 'True', 'IdentityMapPublished', `the agents add each flow end's namespace, pod, workload, node and service from the identity map (bucket ${e.bucket})`);
  if (e.map === 'notConfigured') {
    return cond('Enriched', 'False', 'IdentityMapNotConfigured', 'the operator runs without an identity map (--identity-map-nats / identityMap.nats.url): flow records go out without identities');
  }
  return cond('Enriched', 'False', 'IdentityMapUnavailable', `the operator cannot write the identity map (bucket ${e.bucket}; see its log and tapline_operator_identity_map_ready): flow records go out without identities, or with an ageing map`);
}

interface Counts {
  desired: number;
  ready: number;
  updated: number;
  rolledOut: boolean;
}

function counts(ds: ObservedDaemonSet): Counts {
  const s = ds.status ?? {};
  const desired = s.desiredNumberScheduled ?? 0;
  const updated = s.updatedNumberScheduled ?? 0;
  const current = (s.observedGeneration ?? -1) >= (ds.metadata.generation ?? 0);
  return { desired, ready: s.numberReady ?? 0, updated, rolledOut: current && updated >= desired };
}

function conditions(i: StatusInput): C[] {
  const ds = i.daemonSet;
  const c = ds ? counts(ds) : undefined;
  if (i.blocked) {
    const { reason, message } = i.blocked;
    const stillRunning = c && c.desired > 0 ? ` (the agents keep running with the configuration last applied)` : '';
    return [
      cond('Ready', 'False', reason, message + stillRunning),
      cond('Progressing', 'False', reason, 'nothing is applied until the policy changes'),
      cond('Degraded', 'True', reason, message),
    ];
  }
  const out: C[] = [];
  const failing = i.agentFailures?.total ?? 0;
  // Ready
  if (!ds || !c) {
    out.push(cond('Ready', 'False', i.paused ? 'Paused' : 'AgentsNotDeployed', i.paused ? 'the policy is paused and was never deployed' : 'the agent DaemonSet does not exist yet'));
  } else if (c.desired === 0) {
    out.push(cond('Ready', 'False', 'NoNodesSelected', 'no node matches spec.nodeSelector (and tolerates its taints)'));
  } else if (failing) {
    // The DaemonSet's counts may lag the pods: a failing agent is never Ready.
    out.push(cond('Ready', 'False', AGENT_FAILING, `${Math.max(0, Math.min(c.ready, c.desired - failing))} of ${c.desired} agents ready, ${failing} failing (see Degraded)`));
  } else if (c.rolledOut && c.ready >= c.desired) {
    out.push(cond('Ready', 'True', 'AgentsReady', `${c.ready} of ${c.desired} agents ready`));
  } else {
    out.push(cond('Ready', 'False', 'AgentsNotReady', `${c.ready} of ${c.desired} agents ready, ${c.updated} up to date`));
  }
  // Progressing
  if (i.paused) out.push(cond('Progressing', 'False', 'Paused', 'spec.paused: changes are not applied'));
  else if (!ds || !c) out.push(cond('Progressing', 'True', 'Deploying', 'creating the agent DaemonSet'));
  else if (!c.rolledOut) out.push(cond('Progressing', 'True', 'RollingOut', `${c.updated} of ${c.desired} agents run the current configuration`));
  else out.push(cond('Progressing', 'False', 'RolloutComplete', `${c.desired} agents run the current configuration`));
  // Degraded
  const lost = i.conflicts?.lost ?? [];
  if (i.applyError) out.push(cond('Degraded', 'True', 'ApplyFailed', i.applyError));
  else if (failing) out.push(cond('Degraded', 'True', AGENT_FAILING, i.agentFailures!.message));
  else if (lost.length) {
    out.push(cond('Degraded', 'True', 'InterfaceConflict', `not deployed on ${i.conflicts!.excludedNodes.length} node(s) where an older policy claims the same device`));
  } else out.push(cond('Degraded', 'False', 'AsExpected', 'no problem found'));
  // InterfaceConflict
  if (lost.length) {
    const others = [...new Set(lost.map((l) => l.policy))].sort();
    out.push(
      cond(
        'InterfaceConflict',
        'True',
        'DeviceClaimedByOlderPolicy',
        `${others.join(', ')} claim(s) the same device on ${i.conflicts!.excludedNodes.length} node(s) (${i.conflicts!.excludedNodes.slice(0, 5).join(', ')}${i.conflicts!.excludedNodes.length > 5 ? ', ...' : ''}); this policy's agent is kept off them (see status.conflicts)`,
      ),
    );
  } else if (i.conflicts?.winsOver.length) {
    out.push(cond('InterfaceConflict', 'False', 'HoldsContestedDevices', `newer policies claiming the same devices are kept off the shared nodes: ${i.conflicts.winsOver.join(', ')}`));
  } else {
    out.push(cond('InterfaceConflict', 'False', 'NoConflict', 'no other policy claims these devices on these nodes'));
  }
  if (i.enrichment) out.push(enrichedCondition(i.enrichment));
  return out;
}

/** The status for `i`, taking lastTransitionTime from `previous` where a condition's status is unchanged. */
export function buildStatus(i: StatusInput, previous: SnifferPolicyStatus | undefined, now: Date): SnifferPolicyStatus {
  const prev = new Map((previous?.conditions ?? []).map((c) => [c.type, c]));
  const ts = now.toISOString().replace(/\.\d{3}Z$/, 'Z');
  const conds: Condition[] = conditions(i).map((c) => {
    const p = prev.get(c.type);
    return { ...c, observedGeneration: i.generation, lastTransitionTime: p && p.status === c.status ? p.lastTransitionTime : ts };
  });
  const ds = i.daemonSet;
  const c = ds ? counts(ds) : undefined;
  return {
    observedGeneration: i.generation,
    conditions: conds,
    ...(ds && c ? { desiredNodes: c.desired, readyNodes: c.ready, updatedNodes: c.updated, daemonSetName: ds.metadata.name } : {}),
    ...(i.conflicts?.lost.length ? { conflicts: i.conflicts.lost } : {}),
    ...(i.agentFailures?.listed.length ? { agentFailures: i.agentFailures.listed } : {}),
  };
}

const STATUS_KEYS = ['observedGeneration', 'conditions', 'desiredNodes', 'readyNodes', 'updatedNodes', 'daemonSetName', 'conflicts', 'agentFailures'] as const;

function withoutTimes(s: Partial<SnifferPolicyStatus> | undefined): unknown {
  if (!s) return {};
  const out: Record<string, unknown> = {};
  for (const k of STATUS_KEYS) {
    if (s[k] === undefined) continue;
    out[k] = k === 'conditions' ? s.conditions!.map(({ lastTransitionTime: _t, ...rest }) => rest) : s[k];
  }
  return out;
}

/** Equal in every field the operator writes, lastTransitionTime aside. */
export function sameStatus(a: Partial<SnifferPolicyStatus> | undefined, b: Partial<SnifferPolicyStatus> | undefined): boolean {
  return canonicalJson(withoutTimes(a)) === canonicalJson(withoutTimes(b));
}
