// Kubernetes Events (events.k8s.io/v1) about the operator's objects, as client-go's tools/events
// recorder, simplified:
//   - an Event says what happened to one object (`regarding`), by whom (reportingController
//     tapline.dev/operator, reportingInstance = this replica's leader identity), what was done
//     (`action`) and why (`reason`, `note`);
//   - identical events (same object, type, reason, action and note) within the series window are
//     one Event: the first is created, each repeat counts in its `series` (count, lastObservedTime)
//     and is written as a merge PATCH of the series (client-go's correlator, without its timers);
//   - a per-object token bucket (client-go's spam filter: burst 25, one more every 5 minutes)
//     bounds the writes one object can cause; a repeat over the limit is counted in the series
//     and written with the next repeat that is allowed;
//   - writes go out one at a time, after the call returns: recording never blocks or fails a
//     reconcile, and a failed write is logged and counted, never thrown.
// The recorder writes only when it is called, never on a timer, so a quiet cluster sees no Event
// writes: callers record transitions (what changed), never "reconciled again".
import type { Logger } from 'pino';
import { z } from 'zod';
import type { EventInput, Recorder } from '../reconcile/events.js';
import { isNotFoundError } from './errors.js';
import type { KubeClient } from './kube-client.js';
import { microTime } from './leader-election.js';
import type { OperatorMetrics } from './metrics.js';
import { TokenBucket } from './rate-limiter.js';

export const REPORTING_CONTROLLER = 'tapline.dev/operator';
export const EVENTS_API_VERSION = 'events.k8s.io/v1';

export const EventSeriesSchema = z.looseObject({ count: z.int(), lastObservedTime: z.string() });

/** An Event as the API server returns it (what the recorder reads back). */
export const EventSchema = z.looseObject({
  metadata: z.looseObject({ name: z.string(), namespace: z.string() }),
  type: z.string().optional(),
  reason: z.string().optional(),
  action: z.string().optional(),
  note: z.string().optional(),
  series: EventSeriesSchema.optional(),
});

export interface EventRecorderOptions {
  client: KubeClient;
  /** reportingInstance: the leader identity of this replica (at most 128 characters are sent). */
  reportingInstance: string;
  log: Logger;
  metrics?: OperatorMetrics;
  /** Identical events within this time of the last one are one Event with a series (client-go: 6 min). */
  seriesWindowMs?: number;
  /** Writes one object may cause at once (client-go: 25). */
  burst?: number;
  /** Writes per second one object earns back (client-go: 1/300). */
  qps?: number;
  /** Writes waiting to be sent; more are dropped (and counted). */
  maxPending?: number;
  now?: () => number;
}

/** One isomorphic event: the Event created for it and how often it happened. */
interface Series {
  name: string;
  namespace: string;
  input: EventInput;
  firstMs: number;
  lastMs: number;
  count: number;
  /** The count the API server has (0: not created yet). */
  written: number;
}

const NOTE_LIMIT_BYTES = 1024;
const MAX_SERIES = 4096;
const MAX_BUCKETS = 4096;

function truncateBytes(s: string, limit: number): string {
  if (Buffer.byteLength(s) <= limit) return s;
  let out = s.slice(0, limit);
  while (Buffer.byteLength(out) > limit - 3) out = out.slice(0, -1);
  return `${out}...`;
}

export class EventRecorder implements Recorder {
  readonly #o: Required<Omit<EventRecorderOptions, 'metrics'>> & Pick<EventRecorderOptions, 'metrics'>;
  readonly #series = new Map<string, Series>();
  readonly #buckets = new Map<string, TokenBucket>();
  #chain: Promise<void> = Promise.resolve();
  #pending = 0;
  #seq = 0;
  #stopped = false;

  constructor(o: EventRecorderOptions) {
    this.#o = { seriesWindowMs: 6 * 60_000, burst: 25, qps: 1 / 300, maxPending: 1000, now: Date.now, ...o };
  }

  event(e: EventInput): void {
    if (this.#stopped) return;
    const now = this.#o.now();
    this.#o.metrics?.events.inc({ type: e.type, reason: e.reason });
    const key = JSON.stringify([e.regarding.uid, e.type, e.reason, e.action, e.note]);
    let s = this.#series.get(key);
    if (s && now - s.lastMs > this.#o.seriesWindowMs) {
      this.#series.delete(key);
      s = undefined;
    }
    if (s) {
      s.count++;
      s.lastMs = now;
      // Counted either way; written now if the object's rate allows (else with a later repeat).
      if (this.#allow(e.regarding.uid)) this.#enqueue(() => this.#writeSeries(s!));
      else this.#drop('rateLimited', e);
      return;
    }
    if (!this.#allow(e.regarding.uid)) return this.#drop('rateLimited', e);
    this.#prune(now);
    s = { name: this.#eventName(e.regarding.name, now), namespace: e.regarding.namespace, input: e, firstMs: now, lastMs: now, count: 1, written: 0 };
    this.#series.set(key, s);
    const created = s;
    this.#enqueue(() => this.#create(created, key));
  }

  /** Resolves once every write recorded so far has been sent (or has failed). */
  flush(): Promise<void> {
    return this.#chain;
  }

  /** Records nothing more; waits for the writes in flight. */
  async stop(): Promise<void> {
    this.#stopped = true;
    await this.#chain;
  }

  #allow(uid: string): boolean {
    let b = this.#buckets.get(uid);
    if (!b) {
      if (this.#buckets.size >= MAX_BUCKETS) this.#buckets.delete(this.#buckets.keys().next().value!);
      b = new TokenBucket(this.#o.qps, this.#o.burst, this.#o.now);
      this.#buckets.set(uid, b);
    }
    return b.tryTake();
  }

  #drop(cause: string, e: EventInput): void {
    this.#o.metrics?.eventsDropped.inc({ cause });
    this.#o.log.debug({ cause, reason: e.reason, policy: e.regarding.name, namespace: e.regarding.namespace }, 'event not written');
  }

  /** Forgets series past their window (and the oldest ones beyond a bound). */
  #prune(now: number): void {
    if (this.#series.size < MAX_SERIES) return;
    for (const [k, s] of this.#series) if (now - s.lastMs > this.#o.seriesWindowMs) this.#series.delete(k);
    while (this.#series.size >= MAX_SERIES) this.#series.delete(this.#series.keys().next().value!);
  }

  /** client-go: `<regarding name>.<timestamp in ns, hex>`; unique per recorder. */
  #eventName(regardingName: string, now: number): string {
    const ns = BigInt(now) * 1_000_000n + BigInt(this.#seq++ % 1_000_000);
    return `${regardingName.slice(0, 253 - 17)}.${ns.toString(16)}`;
  }

  #enqueue(write: () => Promise<void>): void {
    if (this.#pending >= this.#o.maxPending) {
      this.#o.metrics?.eventsDropped.inc({ cause: 'queueFull' });
      return;
    }
    this.#pending++;
    this.#chain = this.#chain.then(write).finally(() => {
      this.#pending--;
    });
  }

  #body(s: Series, count: number) {
    const e = s.input;
    return {
      apiVersion: EVENTS_API_VERSION,
      kind: 'Event',
      metadata: { name: s.name, namespace: s.namespace },
      eventTime: microTime(new Date(s.firstMs)),
      reportingController: REPORTING_CONTROLLER,
      reportingInstance: this.#o.reportingInstance.slice(0, 128),
      action: e.action,
      reason: e.reason,
      type: e.type,
      note: truncateBytes(e.note, NOTE_LIMIT_BYTES),
      regarding: { ...e.regarding },
      ...(count > 1 ? { series: { count, lastObservedTime: microTime(new Date(s.lastMs)) } } : {}),
    };
  }

  #collection(namespace: string): string {
    return `/apis/${EVENTS_API_VERSION}/namespaces/${namespace}/events`;
  }

  async #create(s: Series, key: string): Promise<void> {
    const count = s.count;
    try {
      await this.#o.client.create(this.#collection(s.namespace), this.#body(s, count), EventSchema);
      s.written = count;
      this.#o.log.debug({ reason: s.input.reason, type: s.input.type, event: s.name, namespace: s.namespace }, 'event recorded');
      // Repeats recorded while the create was in flight.
      if (s.count > s.written) await this.#writeSeries(s);
    } catch (e) {
      // Not recorded: an identical event later starts afresh.
      if (this.#series.get(key) === s) this.#series.delete(key);
      this.#failed(s, e);
    }
  }

  async #writeSeries(s: Series): Promise<void> {
    if (s.written === 0 || s.count <= s.written) return; // the create (in flight or failed) carries it, or nothing new
    const count = s.count;
    try {
      await this.#o.client.mergePatch(
        `${this.#collection(s.namespace)}/${s.name}`,
        { series: { count, lastObservedTime: microTime(new Date(s.lastMs)) } },
        EventSchema,
      );
      s.written = Math.max(s.written, count);
    } catch (e) {
      if (!isNotFoundError(e)) return this.#failed(s, e);
      // The Event expired (the API server keeps Events for an hour): a new one carries the series.
      s.name = this.#eventName(s.input.regarding.name, this.#o.now());
      try {
        await this.#o.client.create(this.#collection(s.namespace), this.#body(s, count), EventSchema);
        s.written = count;
      } catch (e2) {
        this.#failed(s, e2);
      }
    }
  }

  #failed(s: Series, e: unknown): void {
    this.#o.metrics?.eventsDropped.inc({ cause: 'writeFailed' });
    this.#o.log.warn({ err: (e as Error).message, errorClass: (e as Error).name, reason: s.input.reason, policy: s.input.regarding.name, namespace: s.namespace }, 'could not write event');
  }
}
