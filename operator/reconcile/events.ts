// Which Kubernetes Events a reconcile pass reports, as pure functions of what it did and of the
// status diff it already computes: an Event marks a transition (a condition turning True, a new
// configuration applied), never "reconciled again". A pass that writes no status and applies no new
// configuration records nothing, so a steady cluster sees no Event writes.
//
// The reconciler hands its events to a Recorder (defined here, where it is used; the controller's
// EventRecorder writes them as events.k8s.io/v1 Events).
import type { Condition, SnifferPolicyStatus } from '../api/status.js';
import { AGENT_FAILING } from './agent-failures.js';
import type { Blocked } from './status.js';

export type EventType = 'Normal' | 'Warning';

/** The object an Event is about (events.k8s.io/v1 `regarding`). */
export interface ObjectReference {
  apiVersion: string;
  kind: string;
  name: string;
  namespace: string;
  uid: string;
}

export interface EventInput {
  regarding: ObjectReference;
  type: EventType;
  /** Why, in CamelCase: Deployed, Ready, InterfaceConflict, ReconcileError... */
  reason: string;
  /** What the operator did or failed to do, in CamelCase. */
  action: string;
  /** Human-readable details (cut to 1 kB, the API server's limit). */
  note: string;
}

/** What the reconciler and controller see: record an event, fire and forget. */
export interface Recorder {
  event(e: EventInput): void;
}

/** A recorder that records nothing (tests that do not look at Events, dry runs). */
export const NO_EVENTS: Recorder = { event: () => {} };

export type PolicyEvent = Omit<EventInput, 'regarding'>;

/** Event reasons (CamelCase, as kubectl describe shows them) and the action each reports. */
export const EventReason = {
  Deployed: 'Deployed',
  Ready: 'Ready',
  InterfaceConflict: 'InterfaceConflict',
  AgentFailing: AGENT_FAILING,
  InvalidSpec: 'InvalidSpec',
  PrivilegedNotAllowed: 'PrivilegedNotAllowed',
  AgentConfigRefused: 'AgentConfigRefused',
  NamespaceNotWatched: 'NamespaceNotWatched',
  ReconcileError: 'ReconcileError',
} as const;

export const EventAction = {
  /** The ConfigMap and DaemonSet were applied (created, or a new configuration). */
  ApplyAgents: 'ApplyAgents',
  /** The DaemonSet's rollout was observed. */
  ObserveRollout: 'ObserveRollout',
  /** The agent pods' states were read (agents that cannot start or keep exiting). */
  ObserveAgents: 'ObserveAgents',
  /** Devices claimed by more than one policy were assigned to the oldest. */
  ResolveConflicts: 'ResolveConflicts',
  /** The spec was checked against the schema and the operator's settings. */
  ValidateSpec: 'ValidateSpec',
  /** The policy's namespace was checked against --watch-namespaces. */
  CheckNamespace: 'CheckNamespace',
  Reconcile: 'Reconcile',
} as const;

const BLOCKED_ACTION: Record<Blocked['reason'], string> = {
  InvalidSpec: EventAction.ValidateSpec,
  PrivilegedNotAllowed: EventAction.ValidateSpec,
  AgentConfigRefused: EventAction.ValidateSpec,
  NamespaceNotWatched: EventAction.CheckNamespace,
};

const ev = (type: EventType, reason: string, action: string, note: string): PolicyEvent => ({ type, reason, action, note });

/** The reference to a policy as Events carry it. */
export function policyRef(p: { apiVersion: string; kind: string; metadata: { name: string; namespace: string; uid: string } }): ObjectReference {
  return { apiVersion: p.apiVersion, kind: p.kind, name: p.metadata.name, namespace: p.metadata.namespace, uid: p.metadata.uid };
}

/**
 * `Deployed`: the agent DaemonSet was applied and it did not exist (first deployment) or ran
 * another configuration (its pod template's config hash changed). Other applies (drift repair,
 * node exclusions) are not deployments of a new configuration.
 */
export function deployedEvent(o: { daemonSet: string; configMap: string; hash: string; previousHash: string | undefined; created: boolean }): PolicyEvent | undefined {
  if (o.created) return ev('Normal', EventReason.Deployed, EventAction.ApplyAgents, `created DaemonSet ${o.daemonSet} and ConfigMap ${o.configMap} with config hash ${o.hash}`);
  if (o.previousHash === o.hash) return undefined;
  return ev('Normal', EventReason.Deployed, EventAction.ApplyAgents, `rolling out config hash ${o.hash} to DaemonSet ${o.daemonSet} (was ${o.previousHash ?? 'none'}), ConfigMap ${o.configMap}`);
}

const find = (s: Partial<SnifferPolicyStatus> | undefined, type: string): Condition | undefined => s?.conditions?.find((c) => c.type === type);
const turnedTrue = (prev: Condition | undefined, next: Condition | undefined) => next?.status === 'True' && prev?.status !== 'True';

/** Events for the transitions from `prev` to `next` (the status just written). */
export function statusEvents(prev: Partial<SnifferPolicyStatus> | undefined, next: SnifferPolicyStatus): PolicyEvent[] {
  const out: PolicyEvent[] = [];
  const degraded = find(next, 'Degraded');
  const blocked = degraded?.status === 'True' && degraded.reason in BLOCKED_ACTION ? (degraded.reason as Blocked['reason']) : undefined;
  if (blocked) {
    // Newly blocked, blocked for another reason, or for a new spec with another message.
    const p = find(prev, 'Degraded');
    if (p?.status !== 'True' || p.reason !== blocked || p.message !== degraded!.message) {
      out.push(ev('Warning', blocked, BLOCKED_ACTION[blocked], degraded!.message));
    }
    return out;
  }
  // Agents failing: newly, or on other nodes or for another reason (the message says which).
  if (degraded?.status === 'True' && degraded.reason === EventReason.AgentFailing) {
    const p = find(prev, 'Degraded');
    if (p?.status !== 'True' || p.reason !== degraded.reason || p.message !== degraded.message) {
      out.push(ev('Warning', EventReason.AgentFailing, EventAction.ObserveAgents, degraded.message));
    }
  }
  const conflict = find(next, 'InterfaceConflict');
  if (turnedTrue(find(prev, 'InterfaceConflict'), conflict)) {
    out.push(ev('Warning', EventReason.InterfaceConflict, EventAction.ResolveConflicts, conflict!.message));
  }
  const ready = find(next, 'Ready');
  if (turnedTrue(find(prev, 'Ready'), ready)) {
    out.push(ev('Normal', EventReason.Ready, EventAction.ObserveRollout, `${ready!.message}${next.daemonSetName ? ` (DaemonSet ${next.daemonSetName})` : ''}`));
  }
  return out;
}

/** A failed reconcile (retried with backoff; the recorder's series and rate limit keep it quiet). */
export function reconcileErrorEvent(e: unknown): PolicyEvent {
  const err = e as Error;
  return ev('Warning', EventReason.ReconcileError, EventAction.Reconcile, `${err.name ?? 'Error'}: ${err.message ?? String(e)} (retrying with backoff)`);
}
