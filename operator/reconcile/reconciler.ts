// reconcile(key): make the cluster match one SnifferPolicy, and say so in its status. By key,
// never by event: every pass re-reads the policy, its children, the other policies and the nodes
// from the informers' caches, server-side applies what differs, and rebuilds status.
//
//   policy gone or deleting      → nothing (the garbage collector removes the children)
//   namespace not watched        → status NamespaceNotWatched, nothing created
//   spec unusable (zod / render) → status InvalidSpec / PrivilegedNotAllowed (terminal: no retry)
//   paused                       → no writes to the children, status from what runs
//   otherwise                    → apply ConfigMap, ServiceAccount, DaemonSet (kept off nodes
//                                  where an older policy holds the same device), then status
//
// Status also reads the agent pods: an agent that cannot start or keeps exiting makes the policy
// Degraded (AgentFailing) and not Ready, naming the node and the reason (./agent-failures.ts).
//
// Writes happen only when something differs (zero writes on a steady cluster). Kubernetes Events
// (./events.ts) report transitions only: a new configuration applied, a condition turning True in
// the status just written; a pass that writes nothing records nothing.
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { z } from 'zod';
import { isInvalidPolicyError } from '../api/errors.js';
import { parsePolicy, type SnifferPolicy } from '../api/policy.js';
import { SnifferPolicyStatusSchema, type SnifferPolicyStatus } from '../api/status.js';
import { CONFIG_HASH_ANNOTATION } from '../render/daemonset.js';
import { excludeNodes } from '../render/exclude-nodes.js';
import { isAgentConfigRefusedError, isPrivilegedNotAllowedError, objectsInApplyOrder, renderPolicy, type OperatorSettings } from '../render/index.js';
import { agentFailures } from './agent-failures.js';
import { APPLIED_HASH_ANNOTATION, isUpToDate, objectHash, whyApply, withAppliedHash } from './compare.js';
import { conflictsOf, type ConflictView } from './conflicts.js';
import { deployedEvent, NO_EVENTS, policyRef, statusEvents, type PolicyEvent, type Recorder } from './events.js';
import { keyOf, ObservedDaemonSetSchema, ObservedObjectSchema, type ObservedDaemonSet, type ObservedPolicy } from './observed.js';
import { buildStatus, sameStatus, type Blocked, type IdentityMapState } from './status.js';
import type { World } from './world.js';
import { WriteMemo, type Written, type WrittenPart } from './write-memo.js';

export type ReconcileResult = 'success' | 'terminal';

/** A rendered child of a policy, as it is applied. */
export interface ChildObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace: string; annotations?: Record<string, string> | undefined };
}

/**
 * How the reconciler writes (the controller passes one that server-side applies through the
 * operator's API client, as field manager tapline-operator, taking over conflicting fields).
 */
export interface Writer {
  /**
   * Applies a child object; resolves with what the API server stored, parsed with `schema`, or
   * with `refused` when the API server refused the object (validation, admission, RBAC): that is
   * reported in status and retried with backoff. Other failures reject.
   */
  apply<T>(obj: ChildObject, schema: z.ZodType<T>): Promise<{ stored: T } | { refused: Error }>;
  /** Applies the status subresource of a policy; false when the policy is gone. */
  applyStatus(policy: { apiVersion: string; kind: string; metadata: { name: string; namespace: string } }, status: SnifferPolicyStatus): Promise<boolean>;
}

/** The counters the reconciler keeps (by kind of child object). */
export interface ReconcileMetrics {
  /** Objects found already as desired (no write). */
  writesSkipped: { inc(labels: { kind: string }): void };
  /** Objects written. */
  applies: { inc(labels: { kind: string }): void };
}

/** What a reconciler is made of; the controller builds it from its caches and its API client. */
export interface ReconcilerOptions {
  writer: Writer;
  world: World;
  settings: OperatorSettings;
  log: Logger;
  metrics: ReconcileMetrics;
  /** Kubernetes Events about the policies (default: none recorded). */
  events?: Recorder;
  now?: () => Date;
  /** The state of the operator's identity map, for the Enriched condition (default: notConfigured). */
  identityMap?: () => IdentityMapState;
}

type Parsed = { ok: true; policy: SnifferPolicy } | { ok: false; blocked: Blocked };

export class Reconciler {
  readonly #o: ReconcilerOptions;
  readonly #parsed = new WeakMap<ObservedPolicy, Parsed>();
  /** Our writes the caches may not show yet (./write-memo.ts says why and how). */
  readonly #written = new WriteMemo();
  /** Keys to reconcile again after a delay: a pod state that turns into a failure by time alone. */
  readonly #recheck = new Map<string, number>();

  constructor(o: ReconcilerOptions) {
    this.#o = o;
  }

  #watched(namespace: string): boolean {
    const ns = this.#o.settings.watchNamespaces;
    return ns.length === 0 || ns.includes(namespace);
  }

  /** The policy parsed (defaults applied) and rendered-checked, memoised per cached object. */
  parse(raw: ObservedPolicy): Parsed {
    const hit = this.#parsed.get(raw);
    if (hit) return hit;
    let r: Parsed;
    try {
      r = { ok: true, policy: parsePolicy({ apiVersion: raw.apiVersion, kind: raw.kind, metadata: raw.metadata, spec: raw.spec }) };
    } catch (e) {
      if (!isInvalidPolicyError(e)) throw e;
      r = { ok: false, blocked: { reason: 'InvalidSpec', message: e.message } };
    }
    this.#parsed.set(raw, r);
    return r;
  }

  /** Valid policies in watched namespaces, not being deleted: the ones that may claim devices. */
  #claimants(except: string): SnifferPolicy[] {
    const out: SnifferPolicy[] = [];
    for (const raw of this.#o.world.policies()) {
      if (keyOf(raw) === except || raw.metadata.deletionTimestamp || !this.#watched(raw.metadata.namespace)) continue;
      const p = this.parse(raw);
      if (p.ok) out.push(p.policy);
    }
    return out;
  }

  /** How long until `key` should be reconciled again without an event (undefined: not needed); read once. */
  recheckAfter(key: string): number | undefined {
    const ms = this.#recheck.get(key);
    this.#recheck.delete(key);
    return ms;
  }

  async reconcile(key: string): Promise<ReconcileResult> {
    const raw = this.#o.world.policy(key);
    if (!raw || raw.metadata.deletionTimestamp) {
      this.#written.forget(key);
      this.#recheck.delete(key);
      return 'success';
    }
    const { namespace, name } = raw.metadata;
    const log = this.#o.log.child({ policy: name, namespace, reconcileId: randomUUID().slice(0, 8), generation: raw.metadata.generation });
    const generation = raw.metadata.generation ?? 0;
    const previous = SnifferPolicyStatusSchema.safeParse(raw.status ?? {});
    const prevStatus = previous.success ? previous.data : undefined;
    const dsKey = (dsName: string) => `${namespace}/${dsName}`;

    let blocked: Blocked | undefined;
    if (!this.#watched(namespace)) {
      blocked = { reason: 'NamespaceNotWatched', message: `the operator watches only the namespaces ${this.#o.settings.watchNamespaces.join(', ')}` };
    }
    const parsed = blocked ? undefined : this.parse(raw);
    if (parsed && !parsed.ok) blocked = parsed.blocked;

    let desired: ReturnType<typeof renderPolicy> | undefined;
    let conflicts: ConflictView | undefined;
    if (!blocked && parsed?.ok) {
      try {
        desired = renderPolicy(parsed.policy, this.#o.settings);
      } catch (e) {
        if (isPrivilegedNotAllowedError(e) || isAgentConfigRefusedError(e)) blocked = { reason: e.reason, message: e.message };
        else throw e;
      }
    }

    // The DaemonSet as it is now (the rendered name, or the one status named before).
    const dsName = desired?.daemonSet.metadata.name ?? prevStatus?.daemonSetName;
    let ds: ObservedDaemonSet | undefined = dsName ? this.#o.world.daemonSet(dsKey(dsName)) : undefined;
    if (ds && !ds.metadata.ownerReferences?.some((r) => r.uid === raw.metadata.uid && r.controller)) ds = undefined;
    // A cache that has not yet seen our last DaemonSet write would show the old rollout as done.
    const dsMemo = this.#written.get(key, 'DaemonSet');
    if (dsMemo?.result && (ds?.metadata.resourceVersion ?? '') === dsMemo.basedOn) ds = dsMemo.result;

    let applyError: string | undefined;
    let failure: unknown;
    const events: PolicyEvent[] = [];
    if (desired && parsed?.ok) {
      conflicts = conflictsOf(parsed.policy, this.#claimants(key), this.#o.world.nodes());
      if (!parsed.policy.spec.paused) {
        const [cm, sa, daemonSet] = objectsInApplyOrder(desired);
        const objects = [cm, sa, excludeNodes(daemonSet, conflicts.excludedNodes)].map((o) => withAppliedHash(o));
        for (const obj of objects) {
          const observed =
            obj.kind === 'ConfigMap'
              ? this.#o.world.configMap(dsKey(obj.metadata.name))
              : obj.kind === 'ServiceAccount'
                ? this.#o.world.serviceAccount(dsKey(obj.metadata.name))
                : ds;
          const part = obj.kind as WrittenPart;
          const digest = obj.metadata.annotations?.[APPLIED_HASH_ANNOTATION] ?? '';
          if (isUpToDate(obj, observed) || this.#written.alreadyWritten(key, part, observed?.metadata.resourceVersion ?? '', digest)) {
            this.#o.metrics.writesSkipped.inc({ kind: obj.kind });
            continue;
          }
          const schema = obj.kind === 'DaemonSet' ? ObservedDaemonSetSchema : ObservedObjectSchema;
          const outcome = await this.#o.writer.apply(obj, schema);
          if ('refused' in outcome) {
            // Refused by the API server (admission, RBAC): say so in status, and retry with backoff.
            applyError = outcome.refused.message;
            failure = outcome.refused;
            break;
          }
          const applied = outcome.stored;
          const memo: Written = { basedOn: observed?.metadata.resourceVersion ?? '', digest };
          if (obj.kind === 'DaemonSet') {
            const deployed = deployedEvent({
              daemonSet: obj.metadata.name,
              configMap: cm.metadata.name,
              hash: desired.configHash,
              previousHash: templateConfigHash(observed as ObservedDaemonSet | undefined),
              created: observed === undefined,
            });
            if (deployed) events.push(deployed);
            ds = memo.result = applied as ObservedDaemonSet;
          }
          this.#written.set(key, part, memo);
          this.#o.metrics.applies.inc({ kind: obj.kind });
          log.info({ kind: obj.kind, object: obj.metadata.name, created: observed === undefined, why: observed === undefined ? 'absent' : whyApply(obj, observed) }, 'applied');
        }
      }
    }

    const now = (this.#o.now ?? (() => new Date()))();
    const pods = ds ? this.#o.world.agentPods(dsKey(ds.metadata.name)).filter((p) => p.metadata.ownerReferences?.some((r) => r.uid === ds!.metadata.uid && r.controller)) : [];
    const failures = agentFailures(pods, now);
    if (failures.recheckInMs !== undefined) this.#recheck.set(key, failures.recheckInMs);
    else this.#recheck.delete(key);
    const status = buildStatus(
      {
        generation,
        paused: parsed?.ok ? parsed.policy.spec.paused : false,
        daemonSet: ds,
        conflicts,
        ...(blocked ? { blocked } : {}),
        ...(applyError ? { applyError } : {}),
        ...(failures.total ? { agentFailures: failures } : {}),
        ...(parsed?.ok
          ? { enrichment: { enabled: parsed.policy.spec.enrichment.enabled, map: this.#o.identityMap?.() ?? 'notConfigured', bucket: this.#o.settings.identityBucket } }
          : {}),
      },
      prevStatus,
      now,
    );
    // Transitions are judged against the last status this process wrote, not the cache: the operator
    // is the only writer of status, and the cache may lag one or several of our writes (it can show a
    // newer version than the one our last write was based on and still not include that write).
    const statusMemo = this.#written.get(key, 'status');
    const before = statusMemo?.status ?? prevStatus;
    if (await this.#writeStatus(key, raw, prevStatus, status, log)) events.push(...statusEvents(before, status));
    const recorder = this.#o.events ?? NO_EVENTS;
    for (const e of events) recorder.event({ regarding: policyRef(raw), ...e });
    if (failure) throw failure;
    if (blocked) log.info({ reason: blocked.reason }, 'policy not deployed');
    return blocked ? 'terminal' : 'success';
  }

  /** Writes `status` unless the policy has it already; true when it was written. */
  async #writeStatus(key: string, raw: ObservedPolicy, prev: SnifferPolicyStatus | undefined, status: SnifferPolicyStatus, log: Logger): Promise<boolean> {
    const digest = objectHash({ ...status, conditions: status.conditions?.map(({ lastTransitionTime: _t, ...c }) => c) });
    if (sameStatus(prev, status) || this.#written.alreadyWritten(key, 'status', raw.metadata.resourceVersion, digest)) return false;
    // Deleted meanwhile: nothing to report on.
    if (!(await this.#o.writer.applyStatus(raw, status))) return false;
    this.#written.set(key, 'status', { basedOn: raw.metadata.resourceVersion, digest, status });
    const ready = status.conditions?.find((c) => c.type === 'Ready');
    const degraded = status.conditions?.find((c) => c.type === 'Degraded');
    log.info(
      {
        ready: ready?.status,
        reason: ready?.reason,
        desired: status.desiredNodes,
        readyNodes: status.readyNodes,
        ...(degraded?.status === 'True' ? { degraded: degraded.reason, failingAgents: status.agentFailures?.length ?? 0 } : {}),
      },
      'status updated',
    );
    return true;
  }
}

/** The config hash on a DaemonSet's pod template (the configuration its agents run). */
function templateConfigHash(ds: ObservedDaemonSet | undefined): string | undefined {
  const template = (ds?.spec as { template?: { metadata?: { annotations?: Record<string, string> } } } | undefined)?.template;
  return template?.metadata?.annotations?.[CONFIG_HASH_ANNOTATION];
}
