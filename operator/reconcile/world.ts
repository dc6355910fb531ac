// The reconciler's view of the cluster: the informers' caches, read-only. Reconcile re-reads
// everything it needs from here on every pass (house rule 1).
import type { ObservedDaemonSet, ObservedNode, ObservedObject, ObservedPod, ObservedPolicy } from './observed.js';

export interface World {
  policy(key: string): ObservedPolicy | undefined;
  policies(): ObservedPolicy[];
  daemonSet(key: string): ObservedDaemonSet | undefined;
  configMap(key: string): ObservedObject | undefined;
  serviceAccount(key: string): ObservedObject | undefined;
  nodes(): ObservedNode[];
  /** The pods whose controller is the DaemonSet `namespace/name` (the agents of one policy). */
  agentPods(daemonSetKey: string): ObservedPod[];
}
