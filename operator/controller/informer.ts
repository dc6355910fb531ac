// A list-watch informer for one resource (optionally label-selected), as client-go's reflector +
// store: list (paginated) into a local cache, then watch from the list's resourceVersion with
// bookmarks; a watch the server ends is resumed from the last resourceVersion seen; 410 Gone
// relists and emits the differences; any other failure retries with jittered exponential backoff.
// Handlers only enqueue keys (house rule 2); readers use the cache.
//
// The requests are client-node's (KubeClient: list pages; its Watch class for the stream). The
// loop is ours rather than client-node's ListWatch, which stops at the first error that is not a
// 410 (restarting, with what backoff, is left to its caller), lists in one unpaged request, does
// not ask for bookmarks and parses nothing.
import type { Logger } from 'pino';
import { z } from 'zod';
import { keyOf, type ObjectMeta } from '../reconcile/observed.js';
import { Backoff, sleep } from './backoff.js';
import { isResourceExpiredError } from './errors.js';
import type { KubeClient, WatchEvent } from './kube-client.js';

export interface KubeObject {
  metadata: ObjectMeta;
}

export interface Handlers<T> {
  onAdd?(obj: T): void;
  onUpdate?(oldObj: T, newObj: T): void;
  onDelete?(obj: T): void;
}

export interface InformerOptions<T extends KubeObject> {
  client: KubeClient;
  /** For logs and metrics: daemonsets, snifferpolicies, ... */
  resource: string;
  /** Collection path across namespaces, e.g. /apis/apps/v1/daemonsets. */
  path: string;
  labelSelector?: string;
  schema: z.ZodType<T>;
  log: Logger;
  handlers: Handlers<T>;
  pageSize?: number;
  /** Watch timeout range (seconds); each watch picks at random, so watches do not end together. */
  minWatchSeconds?: number;
  backoff?: Backoff;
  onSynced?: () => void;
  /** Counts objects the schema refused (they are left out of the cache). */
  onRefused?: (resource: string) => void;
}

export class Informer<T extends KubeObject> {
  readonly #o: InformerOptions<T>;
  readonly #store = new Map<string, T>();
  readonly #abort = new AbortController();
  #resourceVersion = '';
  #synced = false;
  #running: Promise<void> | undefined;
  readonly #backoff: Backoff;
  /** How many times the informer has (re)listed: 1 after the first sync. */
  lists = 0;

  constructor(o: InformerOptions<T>) {
    this.#o = o;
    this.#backoff = o.backoff ?? new Backoff({ initialMs: 800, maxMs: 30_000, jitter: 0.5 });
  }

  get resource(): string {
    return this.#o.resource;
  }

  /** True once the first list has filled the cache. */
  synced(): boolean {
    return this.#synced;
  }

  get(key: string): T | undefined {
    return this.#store.get(key);
  }

  list(): T[] {
    return [...this.#store.values()];
  }

  keys(): string[] {
    return [...this.#store.keys()];
  }

  start(): void {
    this.#running ??= this.#loop();
  }

  async stop(): Promise<void> {
    this.#abort.abort();
    await this.#running;
  }

  #parse(raw: unknown): T | undefined {
    const r = this.#o.schema.safeParse(raw);
    if (r.success) return r.data;
    const meta = (raw as { metadata?: { namespace?: string; name?: string } }).metadata;
    this.#o.log.error({ resource: this.#o.resource, object: `${meta?.namespace ?? ''}/${meta?.name ?? ''}`, err: r.error.message }, 'object refused by schema');
    this.#o.onRefused?.(this.#o.resource);
    return undefined;
  }

  async #loop(): Promise<void> {
    const signal = this.#abort.signal;
    let needList = true;
    while (!signal.aborted) {
      try {
        if (needList) {
          await this.#relist(signal);
          needList = false;
        }
        const min = this.#o.minWatchSeconds ?? 300;
        await this.#o.client.watch(
          this.#o.path,
          {
            ...(this.#o.labelSelector ? { labelSelector: this.#o.labelSelector } : {}),
            resourceVersion: this.#resourceVersion,
            timeoutSeconds: Math.floor(min + Math.random() * min),
          },
          (e) => this.#onEvent(e),
          signal,
        );
        this.#backoff.reset();
      } catch (e) {
        if (signal.aborted) break;
        if (isResourceExpiredError(e)) {
          this.#o.log.info({ resource: this.#o.resource, resourceVersion: this.#resourceVersion }, 'watch expired (410): relisting');
          needList = true;
          continue;
        }
        const delay = this.#backoff.next();
        this.#o.log.warn({ resource: this.#o.resource, err: (e as Error).message, retryInMs: delay }, 'list/watch failed: retrying');
        await sleep(delay, signal);
      }
    }
  }

  async #relist(signal: AbortSignal): Promise<void> {
    const fresh = new Map<string, T>();
    let cont: string | undefined;
    let rv = '';
    do {
      const page = await this.#o.client.list(
        this.#o.path,
        {
          ...(this.#o.labelSelector ? { labelSelector: this.#o.labelSelector } : {}),
          limit: this.#o.pageSize ?? 500,
          ...(cont ? { continue: cont } : {}),
        },
        z.unknown(),
      );
      for (const raw of page.items) {
        const obj = this.#parse(raw);
        if (obj) fresh.set(keyOf(obj), obj);
      }
      cont = page.metadata.continue || undefined;
      rv = page.metadata.resourceVersion;
    } while (cont && !signal.aborted);
    if (signal.aborted) return;
    // Replace the cache and tell the handlers what changed while the watch was down.
    const h = this.#o.handlers;
    for (const [key, old] of this.#store) if (!fresh.has(key)) h.onDelete?.(old);
    const previous = new Map(this.#store);
    this.#store.clear();
    for (const [key, obj] of fresh) {
      this.#store.set(key, obj);
      const old = previous.get(key);
      if (!old) h.onAdd?.(obj);
      else if (old.metadata.resourceVersion !== obj.metadata.resourceVersion) h.onUpdate?.(old, obj);
    }
    this.#resourceVersion = rv;
    this.lists++;
    this.#backoff.reset();
    if (!this.#synced) {
      this.#synced = true;
      this.#o.log.info({ resource: this.#o.resource, objects: this.#store.size }, 'informer synced');
      this.#o.onSynced?.();
    }
  }

  #onEvent(e: WatchEvent): void {
    const rv = (e.object as { metadata?: { resourceVersion?: string } }).metadata?.resourceVersion;
    if (e.type === 'BOOKMARK') {
      if (rv) this.#resourceVersion = rv;
      return;
    }
    const obj = this.#parse(e.object);
    if (rv) this.#resourceVersion = rv;
    if (!obj) return;
    const key = keyOf(obj);
    const old = this.#store.get(key);
    const h = this.#o.handlers;
    if (e.type === 'DELETED') {
      this.#store.delete(key);
      h.onDelete?.(old ?? obj);
    } else {
      this.#store.set(key, obj);
      if (old) h.onUpdate?.(old, obj);
      else h.onAdd?.(obj);
    }
  }
}
