// What this process last wrote for each policy, so that a reconcile from a cache that has not yet
// seen those writes neither writes them again nor takes the past for the present.
//
// Why: reconcile reads the world from the informers' caches (house rule 1), and a cache learns of
// our own write only when the watch event for it arrives, milliseconds to seconds later. A
// reconcile of the same policy in between (triggered by another event: the status write itself,
// a pod, a node, a rival policy) would find the object as it was before the write, and
//   - apply the same content again: a write on a steady cluster (the zero-writes tests count them),
//     and a status write changes the policy, whose event triggers one more reconcile;
//   - read a DaemonSet whose status still describes the previous rollout, finished, and report
//     Ready for a configuration that has not rolled out yet;
//   - judge status transitions (Events) against a status older than the one just written, and
//     record Ready twice (a duplicate Ready event seen under load).
//
// What is kept, per policy and object (ConfigMap, ServiceAccount, DaemonSet, status):
//   basedOn  the resourceVersion the cache showed when we wrote ('' when the object was absent);
//   digest   a hash of what we wrote;
//   result   for the DaemonSet, the object the API server returned for the write;
//   status   for the status, the status written.
// How it is used: while the cache still shows `basedOn`, our write happened and the cache lags:
// the same digest is not written again and the DaemonSet is read from `result`. As soon as the
// cache shows any other version (our write, or a later write by anyone) the entry no longer
// matches and the cache is the truth again; resourceVersions are only compared for equality, as
// the API conventions require (they are opaque). Events compare the next status with the last one
// written whatever the cache shows: the operator is the only writer of status. The entries of a
// policy are forgotten when it is gone. This is client-go's "expectations" (the ReplicaSet
// controller's) cut down to what a server-side-applying reconciler needs.
import type { SnifferPolicyStatus } from '../api/status.js';
import type { ObservedDaemonSet } from './observed.js';

export interface Written {
  basedOn: string;
  digest: string;
  /** What the API server returned for the write (newer than a cache still showing `basedOn`). */
  result?: ObservedDaemonSet;
  /** The status written (events compare the next status with it). */
  status?: SnifferPolicyStatus;
}

/** What a write is about: a policy's child by kind, or its status. */
export type WrittenPart = 'ConfigMap' | 'ServiceAccount' | 'DaemonSet' | 'status';

export class WriteMemo {
  readonly #written = new Map<string, Written>();

  get(policyKey: string, part: WrittenPart): Written | undefined {
    return this.#written.get(`${policyKey}#${part}`);
  }

  set(policyKey: string, part: WrittenPart, w: Written): void {
    this.#written.set(`${policyKey}#${part}`, w);
  }

  /** True when the cache still shows the state a write of the same content was based on: skip it. */
  alreadyWritten(policyKey: string, part: WrittenPart, basedOn: string, digest: string): boolean {
    const m = this.get(policyKey, part);
    return m !== undefined && m.basedOn === basedOn && m.digest === digest;
  }

  /** The policy is gone: nothing of it is remembered. */
  forget(policyKey: string): void {
    for (const k of this.#written.keys()) if (k.startsWith(`${policyKey}#`)) this.#written.delete(k);
  }
}
