// Runs the identity map: informers on Pods, Services, EndpointSlices, Nodes, ReplicaSets, Jobs and
// ServiceCIDRs (one watch each for the whole cluster, on every replica so a standby has its caches
// warm), and, on the leader only, the key-value bucket agents read. Handlers only note keys; every
// flushMs the noted objects are applied to the index (identity-index.ts) and the changed addresses
// written. A new leader first reads the bucket, so windows a former leader closed are kept.
import { Kvm, type KV } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import type { Logger } from 'pino';
import { Counter, Gauge, type Registry } from 'prom-client';
import type { z } from 'zod';

import { IdentityValueSchema, connectNats, isAddressKey, type ConnectSettings } from '../../agent/index.js';
import { Informer, type KubeObject } from '../controller/informer.js';
import type { KubeClient } from '../controller/kube-client.js';
import { keyOf } from '../reconcile/observed.js';
import { IdentityIndex } from './identity-index.js';
import {
  IdentityEndpointSliceSchema,
  IdentityNodeSchema,
  IdentityOwnedSchema,
  IdentityPodSchema,
  IdentityServiceCidrSchema,
  IdentityServiceSchema,
} from './objects.js';

export interface IdentityPublisherOptions {
  client: KubeClient;
  nats: ConnectSettings;
  bucket: string;
  /** Replicas of the bucket's stream (a JetStream cluster: 3). */
  replicas: number;
  retentionMs?: number;
  extraPodRanges?: string[];
  flushMs?: number;
  registry: Registry;
  log: Logger;
}

type Kind = 'pods' | 'services' | 'endpointslices' | 'nodes' | 'replicasets' | 'jobs' | 'servicecidrs';

const RESOURCES: Record<Kind, { path: string; schema: z.ZodType<KubeObject> }> = {
  pods: { path: '/api/v1/pods', schema: IdentityPodSchema },
  services: { path: '/api/v1/services', schema: IdentityServiceSchema },
  endpointslices: { path: '/apis/discovery.k8s.io/v1/endpointslices', schema: IdentityEndpointSliceSchema },
  nodes: { path: '/api/v1/nodes', schema: IdentityNodeSchema },
  replicasets: { path: '/apis/apps/v1/replicasets', schema: IdentityOwnedSchema },
  jobs: { path: '/apis/batch/v1/jobs', schema: IdentityOwnedSchema },
  servicecidrs: { path: '/apis/networking.k8s.io/v1/servicecidrs', schema: IdentityServiceCidrSchema },
} as unknown as Record<Kind, { path: string; schema: z.ZodType<KubeObject> }>;
const KINDS = Object.keys(RESOURCES) as Kind[];
/** ServiceCIDRs only tell unknown from external: the map is published without them if they cannot be listed. */
const REQUIRED: Kind[] = KINDS.filter((k) => k !== 'servicecidrs');
const WRITE_CONCURRENCY = 128;
const PRUNE_EVERY_MS = 30_000;

export class IdentityPublisher {
  readonly informers: Map<Kind, Informer<KubeObject>>;
  #index: IdentityIndex;
  #pending = new Map<Kind, Set<string>>();
  #leading = false;
  #nc: NatsConnection | undefined;
  #kv: KV | undefined;
  #timer: NodeJS.Timeout | undefined;
  #flushing: Promise<void> | undefined;
  #published = false;
  #lastPrune = 0;
  #failing = false;
  readonly #m: { addresses: Gauge; ready: Gauge; writes: Counter<'op'>; failures: Counter };

  constructor(private readonly o: IdentityPublisherOptions) {
    this.#index = this.#newIndex();
    this.informers = new Map(
      KINDS.map((kind) => {
        const note = (obj: KubeObject) => this.#note(kind, kind === 'nodes' || kind === 'servicecidrs' ? obj.metadata.name : keyOf(obj));
        const inf = new Informer<KubeObject>({
          client: o.client,
          resource: kind,
          path: RESOURCES[kind].path,
          schema: RESOURCES[kind].schema,
          log: o.log,
          handlers: { onAdd: note, onUpdate: (_a, b) => note(b), onDelete: note },
        });
        return [kind, inf] as const;
      }),
    );
    const registers = [o.registry];
    this.#m = {
      addresses: new Gauge({ name: 'tapline_operator_identity_addresses', help: 'Cluster addresses in the identity map.', registers }),
      ready: new Gauge({ name: 'tapline_operator_identity_map_ready', help: '1 while this replica leads and the identity map is published and current.', registers }),
      writes: new Counter({ name: 'tapline_operator_identity_writes_total', help: 'Identity map keys written (put) or deleted (del).', labelNames: ['op'], registers }),
      failures: new Counter({ name: 'tapline_operator_identity_write_failures_total', help: 'Failed writes to the identity map bucket (retried).', registers }),
    };
  }

  /** True while this replica leads and has published the whole map. */
  get ready(): boolean {
    return this.#leading && this.#published && !this.#failing;
  }

  /** The map as this replica holds it (tests and the bench). */
  get index(): IdentityIndex {
    return this.#index;
  }

  startInformers(): void {
    for (const i of this.informers.values()) i.start();
  }

  synced(): boolean {
    return REQUIRED.every((k) => this.informers.get(k)!.synced());
  }

  /** On becoming leader: connect, open (or create) the bucket, read it, then publish and follow changes. */
  startLeading(): void {
    if (this.#leading) return;
    this.#leading = true;
    this.#published = false;
    // read the bucket again: another replica may have led (and closed windows) since we last did
    this.#kv = undefined;
    this.#index = this.#newIndex();
    this.#pending.clear();
    this.#schedule(0);
  }

  async stopLeading(): Promise<void> {
    this.#leading = false;
    this.#published = false;
    this.#m.ready.set(0);
    clearTimeout(this.#timer);
    await this.#flushing;
  }

  async stop(): Promise<void> {
    await this.stopLeading();
    await Promise.all([...this.informers.values()].map((i) => i.stop()));
    await this.#nc?.close().catch(() => undefined);
    this.#nc = undefined;
    this.#kv = undefined;
  }

  #newIndex(): IdentityIndex {
    return new IdentityIndex({
      ...(this.o.retentionMs !== undefined ? { retentionMs: this.o.retentionMs } : {}),
      ...(this.o.extraPodRanges ? { extraPodRanges: this.o.extraPodRanges } : {}),
    });
  }

  #note(kind: Kind, key: string): void {
    let s = this.#pending.get(kind);
    if (!s) this.#pending.set(kind, (s = new Set()));
    s.add(key);
  }

  #schedule(ms: number): void {
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.#flushing = this.#tick().finally(() => {
        this.#flushing = undefined;
        if (this.#leading) this.#schedule(this.o.flushMs ?? 250);
      });
    }, ms);
  }

  async #tick(): Promise<void> {
    if (!this.#leading || !this.synced()) return;
    try {
      if (!this.#kv) await this.#open();
      if (!this.#published) this.#applyAll();
      else this.#applyPending();
      const now = Date.now();
      if (now - this.#lastPrune > PRUNE_EVERY_MS) {
        this.#index.prune(now);
        this.#lastPrune = now;
      }
      await this.#write();
      if (!this.#published) this.o.log.info({ bucket: this.o.bucket, addresses: this.#index.size }, 'identity map published');
      this.#published = true;
      this.#failing = false;
      this.#m.ready.set(this.#leading ? 1 : 0);
    } catch (err) {
      this.#m.ready.set(0);
      if (!this.#failing) this.o.log.error({ bucket: this.o.bucket, err: (err as Error).message }, 'identity map not written: retrying');
      this.#failing = true;
    } finally {
      this.#m.addresses.set(this.#index.size);
    }
  }

  async #open(): Promise<void> {
    this.#nc ??= await connectNats(this.o.nats);
    const kv = await new Kvm(this.#nc).create(this.o.bucket, { history: 1, replicas: this.o.replicas, description: 'Tapline: cluster address -> Kubernetes identity (written by the operator)' });
    // what a former leader wrote: its ended windows stay
    const it = await kv.watch({ key: '>' });
    const { values } = await kv.status();
    if (values > 0) {
      for await (const e of it) {
        if (e.operation === 'PUT' && isAddressKey(e.key)) {
          const v = IdentityValueSchema.safeParse(e.json());
          if (v.success) this.#index.load(v.data);
        }
        if (e.delta === 0 || e.isUpdate) break;
      }
    }
    it.stop();
    this.#kv = kv;
  }

  /** Everything in the caches (first publish as leader). */
  #applyAll(): void {
    this.#pending.clear();
    const now = Date.now();
    for (const kind of KINDS) for (const obj of this.informers.get(kind)!.list()) this.#apply(kind, kind === 'nodes' || kind === 'servicecidrs' ? obj.metadata.name : keyOf(obj), now);
    this.#index.recomputeAll(now);
  }

  #applyPending(): void {
    const now = Date.now();
    // owners and services first, so pods recomputed after them see them
    for (const kind of ['replicasets', 'jobs', 'servicecidrs', 'nodes', 'services', 'endpointslices', 'pods'] as Kind[]) {
      const keys = this.#pending.get(kind);
      if (!keys) continue;
      this.#pending.delete(kind);
      for (const key of keys) this.#apply(kind, key, now);
    }
  }

  #apply(kind: Kind, key: string, now: number): void {
    const cur = this.informers.get(kind)!.get(key) as never;
    const ix = this.#index;
    switch (kind) {
      case 'pods': return ix.pod(key, cur, now);
      case 'services': return ix.service(key, cur, now);
      case 'endpointslices': return ix.endpointSlice(key, cur, now);
      case 'nodes': return ix.node(key, cur, now);
      case 'replicasets': return ix.owned('ReplicaSet', key, cur, now);
      case 'jobs': return ix.owned('Job', key, cur, now);
      case 'servicecidrs': return ix.serviceCidr(key, cur);
    }
  }

  async #write(): Promise<void> {
    const kv = this.#kv!;
    const { put, del } = this.#index.takeDirty();
    const ops: Array<[string, () => Promise<unknown>, 'put' | 'del']> = [
      ...[...put].map(([k, v]) => [k, () => kv.put(k, JSON.stringify(v)), 'put'] as [string, () => Promise<unknown>, 'put']),
      ...del.map((k) => [k, () => kv.delete(k), 'del'] as [string, () => Promise<unknown>, 'del']),
    ];
    const failed = { put: [] as string[], del: [] as string[] };
    for (let i = 0; i < ops.length; i += WRITE_CONCURRENCY) {
      const chunk = ops.slice(i, i + WRITE_CONCURRENCY);
      const results = await Promise.allSettled(chunk.map(([, f]) => f()));
      results.forEach((r, j) => {
        const [k, , op] = chunk[j]!;
        if (r.status === 'fulfilled') this.#m.writes.inc({ op });
        else {
          this.#m.failures.inc();
          failed[op].push(k);
        }
      });
    }
    if (failed.put.length || failed.del.length) {
      this.#index.retry(failed);
      throw new Error(`${failed.put.length + failed.del.length} of ${ops.length} identity map writes failed`);
    }
  }
}
