// Keeps an agent's IdentityMap in step with the operator's key-value bucket: a KV watch from the
// last value of every key, then every change. The map is `available` once the first full read
// is done; while the bucket is missing or the watch is down the agent retries (and records go
// out without identities until the first read, saying so). A watch that restarts reads every key
// again and forgets the addresses it no longer finds. The client's ordered consumer survives
// reconnects by itself, but a bucket deleted (or re-created, or lost with the server's store) would
// leave it waiting at a stream sequence that no longer means anything: every checkMs the watch asks
// the bucket's status and restarts when the bucket is gone or is a different stream.
import { JetStreamApiCodes, JetStreamApiError } from '@nats-io/jetstream';
import { Kvm, type KV } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import type { Logger } from 'pino';

import { IdentityMap } from './identity-map.js';
import { ClusterRangesSchema, IdentityValueSchema, RANGES_KEY, isAddressKey, keyAddress } from './identity-value.js';

export interface IdentityWatchOptions {
  bucket: string;
  /** Wait between attempts while the bucket is missing or the watch failed (default 5 s). */
  retryMs?: number;
  /** How often a running watch checks that its bucket is still the same stream (default 30 s). */
  checkMs?: number;
}

export class IdentityWatch {
  readonly map = new IdentityMap();
  /** Values the agent could not read (a newer operator's format, or damage): skipped, counted. */
  refused = 0;
  #available = false;
  #stopped = false;
  #stop: (() => void) | undefined;
  #running: Promise<void>;

  private constructor(
    private readonly nc: NatsConnection,
    private readonly o: IdentityWatchOptions,
    private readonly log: Logger,
  ) {
    this.#running = this.loop();
  }

  static start(nc: NatsConnection, o: IdentityWatchOptions, log: Logger): IdentityWatch {
    return new IdentityWatch(nc, o, log.child({ component: 'identity', bucket: o.bucket }));
  }

  /** True once the whole bucket has been read. */
  get available(): boolean {
    return this.#available;
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#stop?.();
    await this.#running;
  }

  private async loop(): Promise<void> {
    let warned = false;
    while (!this.#stopped) {
      try {
        const kv = await new Kvm(this.nc).open(this.o.bucket);
        await kv.status(); // fails when the bucket does not exist
        warned = false;
        await this.watch(kv);
      } catch (err) {
        if (this.#stopped) break;
        const msg = err instanceof Error ? err.message : String(err);
        if (!warned) {
          this.log.warn({ err: msg, retryInSeconds: (this.o.retryMs ?? 5000) / 1000 }, this.#available
            ? 'identity map watch failed: keeping the last map, retrying'
            : 'identity map unavailable: flow records go out without identities until it is');
          warned = true;
        }
      }
      if (!this.#stopped) await this.sleep(this.o.retryMs ?? 5000);
    }
  }

  private async watch(kv: KV): Promise<void> {
    const status = await kv.status();
    const seen = new Set<string>();
    let initial = true;
    const finishInitial = () => {
      if (!initial) return;
      initial = false;
      if (this.#available) {
        for (const key of this.map.addressKeys()) if (!seen.has(key)) this.map.delete(keyAddress(key));
      }
      this.#available = true;
      this.log.info({ addresses: this.map.size }, 'identity map read: enriching flow records');
    };
    const it = await kv.watch({ key: '>' });
    this.#stop = () => it.stop();
    let lost: string | undefined;
    const check = setInterval(() => {
      kv.status().then(
        (s) => {
          if (s.streamInfo.created !== status.streamInfo.created) lost = 'the bucket was re-created';
        },
        (err: unknown) => {
          // only a definite answer: a timeout or a disconnect is the ordered consumer's to ride out
          if (err instanceof JetStreamApiError && err.code === JetStreamApiCodes.StreamNotFound) lost = 'the bucket was deleted';
        },
      ).finally(() => {
        if (lost) it.stop();
      });
    }, this.o.checkMs ?? 30_000);
    try {
      if (status.values === 0) finishInitial();
      for await (const e of it) {
        if (this.#stopped) break;
        if (e.operation === 'PUT') this.apply(e.key, e.string());
        else if (isAddressKey(e.key)) this.map.delete(keyAddress(e.key));
        if (initial) {
          seen.add(e.key);
          if (e.delta === 0 || e.isUpdate) finishInitial();
        }
      }
    } finally {
      clearInterval(check);
    }
    if (!this.#stopped) throw new Error(`identity map watch ended${lost ? `: ${lost}` : ''}`);
  }

  private apply(key: string, text: string): void {
    if (key !== RANGES_KEY && !isAddressKey(key)) return;
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch (err) {
      // damage: counted and skipped like a value of another format, never the end of the watch
      this.refuse(key, (err as Error).message);
      return;
    }
    if (key === RANGES_KEY) {
      const r = ClusterRangesSchema.safeParse(raw);
      if (r.success) this.map.setRanges(r.data);
      else this.refuse(key, r.error.message);
      return;
    }
    const v = IdentityValueSchema.safeParse(raw);
    if (v.success) this.map.set(v.data);
    else this.refuse(key, v.error.message);
  }

  private refuse(key: string, err: string): void {
    if (this.refused++ === 0) this.log.warn({ key, err }, 'identity map value not understood: skipped (counted in tapline_identity_refused_total)');
  }


  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(resolve, ms);
      this.#stop = () => {
        clearTimeout(t);
        resolve();
      };
    });
  }
}
