// The controller: informers feed keys into the work queue (handlers only enqueue), workers take
// keys one at a time per key and run reconcile, failures come back with per-key backoff. Workers
// run only while this replica leads; informers run on every replica, so a standby takes over with
// a warm cache. The agent pods are watched too (label-selected, read-only): their states make a
// policy Degraded when its agents cannot start; a pod event enqueues the policy that owns the pod's
// DaemonSet.
//
// The controller drives the reconciler and builds it: the reconciler reads the controller's caches
// through a World and writes through an ApiWriter on the controller's API client, both passed to
// its constructor; operator/reconcile imports nothing of operator/controller.
import type { Logger } from 'pino';
import { z } from 'zod';
import { API_VERSION, KIND } from '../api/policy.js';
import { AGENT_APP_NAME } from '../render/labels.js';
import type { OperatorSettings } from '../render/index.js';
import {
  keyOf,
  ObservedDaemonSetSchema,
  ObservedNodeSchema,
  ObservedObjectSchema,
  ObservedPodSchema,
  ObservedPolicySchema,
  type ObservedDaemonSet,
  type ObservedPod,
  type ObservedNode,
  type ObservedObject,
  type ObservedPolicy,
} from '../reconcile/observed.js';
import { Reconciler } from '../reconcile/reconciler.js';
import type { World } from '../reconcile/world.js';
import { claimedDevices } from '../reconcile/conflicts.js';
import { canonicalJson } from '../reconcile/compare.js';
import { policyRef, reconcileErrorEvent, type Recorder } from '../reconcile/events.js';
import { ApiWriter } from './api-writer.js';
import { Informer, type KubeObject } from './informer.js';
import type { IdentityMapState } from '../reconcile/status.js';
import type { KubeClient } from './kube-client.js';
import type { OperatorMetrics } from './metrics.js';
import { COLLECTIONS } from './paths.js';
import { WorkQueue } from './work-queue.js';

export interface ControllerOptions {
  client: KubeClient;
  metrics: OperatorMetrics;
  log: Logger;
  /** What the reconciler renders with; its managed-by label selects the children informers watch. */
  settings: OperatorSettings;
  workers?: number;
  queue?: WorkQueue;
  /** Kubernetes Events: transitions the reconciler reports, and a failed reconcile (Warning ReconcileError). */
  events?: Recorder;
  /** The identity map's state, for each policy's Enriched condition. */
  identityMap?: () => IdentityMapState;
}

export class Controller {
  readonly queue: WorkQueue;
  readonly policies: Informer<ObservedPolicy>;
  readonly daemonSets: Informer<ObservedDaemonSet>;
  readonly configMaps: Informer<ObservedObject>;
  readonly serviceAccounts: Informer<ObservedObject>;
  readonly nodes: Informer<ObservedNode>;
  readonly pods: Informer<ObservedPod>;
  readonly world: World;
  readonly reconciler: Reconciler;
  /** Agent pod keys by the key of their controller DaemonSet (an index over the pods' cache). */
  readonly #podsByDaemonSet = new Map<string, Set<string>>();
  readonly #o: ControllerOptions;
  #leading = false;
  #workers: Promise<void>[] = [];
  #inFlight = 0;

  constructor(o: ControllerOptions) {
    this.#o = o;
    this.queue = o.queue ?? new WorkQueue(undefined, (d) => o.metrics.queueDepth.set(d));
    const childSelector = `app.kubernetes.io/name=${AGENT_APP_NAME},app.kubernetes.io/managed-by=${o.settings.managedBy}`;
    const make = <T extends KubeObject>(resource: string, path: string, schema: z.ZodType<T>, handlers: ConstructorParameters<typeof Informer<T>>[0]['handlers'], labelSelector?: string) =>
      new Informer<T>({
        client: o.client,
        resource,
        path,
        schema,
        log: o.log,
        handlers,
        ...(labelSelector ? { labelSelector } : {}),
        onSynced: () => o.metrics.informerSynced.set({ resource }, 1),
        onRefused: (r) => o.metrics.refused.inc({ resource: r }),
      });
    const toOwner = (obj: KubeObject) => this.#enqueueOwner(obj);
    const ownerHandlers = { onAdd: toOwner, onUpdate: (_: KubeObject, n: KubeObject) => toOwner(n), onDelete: toOwner };
    this.policies = make('snifferpolicies', COLLECTIONS.policies, ObservedPolicySchema, {
      onAdd: (p) => this.#onPolicy(undefined, p),
      onUpdate: (a, b) => this.#onPolicy(a, b),
      onDelete: (p) => this.#onPolicy(p, undefined),
    });
    this.daemonSets = make<ObservedDaemonSet>('daemonsets', COLLECTIONS.daemonSets, ObservedDaemonSetSchema, ownerHandlers, childSelector);
    this.configMaps = make<ObservedObject>('configmaps', COLLECTIONS.configMaps, ObservedObjectSchema, ownerHandlers, childSelector);
    this.serviceAccounts = make<ObservedObject>('serviceaccounts', COLLECTIONS.serviceAccounts, ObservedObjectSchema, ownerHandlers, childSelector);
    this.nodes = make('nodes', COLLECTIONS.nodes, ObservedNodeSchema, {
      onAdd: (n) => this.#onNode(undefined, n),
      onUpdate: (a, b) => this.#onNode(a, b),
      onDelete: (n) => this.#onNode(n, undefined),
    });
    this.pods = make<ObservedPod>('pods', COLLECTIONS.pods, ObservedPodSchema, {
      onAdd: (p) => this.#onPod(undefined, p),
      onUpdate: (a, b) => this.#onPod(a, b),
      onDelete: (p) => this.#onPod(p, undefined),
    }, childSelector);
    this.world = {
      policy: (k) => this.policies.get(k),
      policies: () => this.policies.list(),
      daemonSet: (k) => this.daemonSets.get(k),
      configMap: (k) => this.configMaps.get(k),
      serviceAccount: (k) => this.serviceAccounts.get(k),
      nodes: () => this.nodes.list(),
      agentPods: (dsKey) => [...(this.#podsByDaemonSet.get(dsKey) ?? [])].flatMap((k) => this.pods.get(k) ?? []),
    };
    this.reconciler = new Reconciler({
      writer: new ApiWriter(o.client),
      world: this.world,
      settings: o.settings,
      log: o.log,
      metrics: o.metrics,
      ...(o.events ? { events: o.events } : {}),
      ...(o.identityMap ? { identityMap: o.identityMap } : {}),
    });
  }

  /** Every policy again (something all their statuses depend on changed: the identity map's state). */
  enqueueAll(): void {
    for (const p of this.policies.list()) this.queue.add(keyOf(p));
  }

  get informers(): Informer<KubeObject>[] {
    return [this.policies, this.daemonSets, this.configMaps, this.serviceAccounts, this.nodes, this.pods] as unknown as Informer<KubeObject>[];
  }

  synced(): boolean {
    return this.informers.every((i) => i.synced());
  }

  // --- event handlers: they only enqueue keys ---

  #enqueueOwner(obj: KubeObject): void {
    const owner = obj.metadata.ownerReferences?.find((r) => r.controller && r.kind === KIND && r.apiVersion === API_VERSION);
    if (owner && obj.metadata.namespace) this.queue.add(`${obj.metadata.namespace}/${owner.name}`);
  }

  /** The key of a pod's controller DaemonSet. */
  #podOwner(p: ObservedPod): string | undefined {
    const ds = p.metadata.ownerReferences?.find((r) => r.controller && r.kind === 'DaemonSet');
    return ds ? `${p.metadata.namespace}/${ds.name}` : undefined;
  }

  #onPod(oldP: ObservedPod | undefined, newP: ObservedPod | undefined): void {
    // Keep the index (part of the cache, as a client-go indexer), then enqueue the policy.
    const podKey = keyOf((newP ?? oldP)!);
    const before = oldP && this.#podOwner(oldP);
    const after = newP && this.#podOwner(newP);
    if (before && before !== after) {
      const set = this.#podsByDaemonSet.get(before);
      set?.delete(podKey);
      if (set?.size === 0) this.#podsByDaemonSet.delete(before);
    }
    if (after) {
      let set = this.#podsByDaemonSet.get(after);
      if (!set) this.#podsByDaemonSet.set(after, (set = new Set()));
      set.add(podKey);
    }
    const dsKey = after ?? before;
    const ds = dsKey ? this.daemonSets.get(dsKey) : undefined;
    if (ds) this.#enqueueOwner(ds);
  }

  /** Policies whose devices overlap those of `p` (their conflicts may change with it). */
  #rivals(p: ObservedPolicy): string[] {
    const mine = this.#devices(p);
    if (!mine.size) return [];
    return this.policies
      .list()
      .filter((o) => o !== p && keyOf(o) !== keyOf(p) && [...this.#devices(o)].some((d) => mine.has(d)))
      .map(keyOf);
  }

  #devices(p: ObservedPolicy): Set<string> {
    const r = this.reconciler.parse(p);
    return new Set(r.ok ? claimedDevices(r.policy) : []);
  }

  #onPolicy(oldP: ObservedPolicy | undefined, newP: ObservedPolicy | undefined): void {
    const p = newP ?? oldP!;
    this.queue.add(keyOf(p));
    // A change of selection or devices (or a deletion) can start or end conflicts of other policies.
    if (!oldP || !newP || oldP.metadata.generation !== newP.metadata.generation || !!newP.metadata.deletionTimestamp) {
      for (const k of new Set([...(oldP ? this.#rivals(oldP) : []), ...(newP ? this.#rivals(newP) : [])])) this.queue.add(k);
    }
  }

  #onNode(oldN: ObservedNode | undefined, newN: ObservedNode | undefined): void {
    // Heartbeats change status only; labels and taints decide selection and conflicts.
    if (oldN && newN && canonicalJson([oldN.metadata.labels, oldN.spec?.taints]) === canonicalJson([newN.metadata.labels, newN.spec?.taints])) return;
    // Only policies that claim devices depend on nodes directly; counts follow the DaemonSets.
    for (const p of this.policies.list()) if (this.#devices(p).size) this.queue.add(keyOf(p));
  }

  // --- lifecycle ---

  startInformers(): void {
    for (const i of this.informers) i.start();
  }

  async stopInformers(): Promise<void> {
    await Promise.all(this.informers.map((i) => i.stop()));
  }

  /** Starts the workers (this replica leads): every known policy is reconciled once. */
  startLeading(): void {
    if (this.#leading) return;
    this.#leading = true;
    this.#o.metrics.leader.set(1);
    for (const k of this.policies.keys()) this.queue.add(k);
    const n = this.#o.workers ?? 2;
    for (let i = 0; i < n; i++) this.#workers.push(this.#work());
  }

  /** Stops taking keys (in-flight reconciles finish); waits for the workers to go idle. */
  async stopLeading(): Promise<void> {
    if (!this.#leading) return;
    this.#leading = false;
    this.#o.metrics.leader.set(0);
    // Wake idle workers so they see the change.
    this.queue.wakeWaiters();
    const ws = this.#workers.splice(0);
    await Promise.all(ws);
  }

  get inFlight(): number {
    return this.#inFlight;
  }

  async #work(): Promise<void> {
    while (this.#leading) {
      const key = await this.queue.get();
      if (key === undefined) return;
      if (!this.#leading) {
        this.queue.done(key);
        this.queue.add(key); // keep it for the next leader term
        return;
      }
      await this.#process(key);
    }
  }

  async #process(key: string): Promise<void> {
    const r = this.reconciler;
    const t0 = performance.now();
    this.#inFlight++;
    try {
      const result = await r.reconcile(key);
      this.#o.metrics.reconciles.inc({ result });
      this.queue.forget(key);
      // A pod state that becomes a failure (or stops being one) by time alone: look again then.
      const again = r.recheckAfter(key);
      if (again !== undefined) this.queue.addAfter(key, again);
    } catch (e) {
      const delay = this.queue.addRateLimited(key);
      this.#o.metrics.reconciles.inc({ result: 'error' });
      this.#o.metrics.errors.inc({ error: (e as Error).name ?? 'Error' });
      this.#o.metrics.retries.inc();
      const [namespace, name] = key.split('/');
      // Repeats of one error are one Event with a series; the recorder rate-limits per policy.
      const policy = this.policies.get(key);
      if (policy && !policy.metadata.deletionTimestamp) this.#o.events?.event({ regarding: policyRef(policy), ...reconcileErrorEvent(e) });
      this.#o.log.warn({ policy: name, namespace, err: (e as Error).message, errorClass: (e as Error).name, retryInMs: delay, failures: this.queue.rateLimiter.failures(key) }, 'reconcile failed: retrying');
    } finally {
      this.#inFlight--;
      this.#o.metrics.duration.observe((performance.now() - t0) / 1000);
      this.queue.done(key);
    }
  }

  shutDown(): void {
    this.queue.shutDown();
  }
}
