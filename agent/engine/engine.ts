// The TypeScript face of the native flow engine: open a source, start, drain
// finished flow records in batches (pre-encoded JSON lines or packed binary,
// never one JS object per packet), read stats, stop, close. All blocking
// work (opening, preloading, encoding, joining threads) runs off the JS thread.
import { z } from 'zod';

import { FLOW_DEFAULTS } from '../config/capture-rules.js';
import { loadBinding, type NativeEncoding, type NativeEngine } from './binding.js';
import { EngineConfigError, EngineStateError, fromNativeError } from './errors.js';
import { AlertEventSchema, type AlertEvent } from './alert-event.js';
import { DetectorOptionsSchema } from './detector-options.js';
import { AfPacketSourceSchema, DpdkSourceSchema } from './live-source.js';
import { EngineInfoSchema, EngineStatsSchema, type EngineInfo, type EngineStats } from './stats.js';

export const EngineOptionsSchema = z
  .object({
    workers: z.number().int().min(1).max(64).default(1),
    maxFlows: z.number().int().min(1).max(2 ** 31).default(FLOW_DEFAULTS.maxFlows),
    idleTimeoutMs: z.number().int().min(1).max(7 * 24 * 3600 * 1000).default(FLOW_DEFAULTS.idleTimeoutSeconds * 1000),
    activeTimeoutMs: z.number().int().min(1).max(7 * 24 * 3600 * 1000).default(FLOW_DEFAULTS.activeTimeoutSeconds * 1000),
    exportRing: z.number().int().min(64).max(1 << 24).optional(),
    /** Capture filter in tcpdump syntax (every source; see live-source.ts). */
    filter: z.string().min(1).max(4096).optional(),
    /** Octets kept per packet on live sources. */
    snaplen: z.number().int().min(64).max(262144).optional(),
    /** Anomaly detectors (detector-options.ts); absent: all off. Their events come from drainAlerts(). */
    detectors: DetectorOptionsSchema.optional(),
    source: z.discriminatedUnion('kind', [
      z.object({ kind: z.literal('file'), path: z.string().min(1) }).strict(),
      z.object({ kind: z.literal('replay'), path: z.string().min(1), loops: z.number().int().min(1).max(1 << 20).default(1) }).strict(),
      AfPacketSourceSchema,
      DpdkSourceSchema,
    ]),
  })
  .strict()
  .refine((o) => o.maxFlows >= o.workers, { message: 'must be at least the number of workers', path: ['maxFlows'] });

export type EngineOptions = z.input<typeof EngineOptionsSchema>;

export type BatchEncoding = NativeEncoding;

export interface RecordBatch {
  /** Number of flow records in `data`. */
  records: number;
  /** JSON lines ('jsonl') or 128-byte packed records ('packed', see packed-record.ts). */
  data: Buffer;
}

const AlertsSchema = z.array(AlertEventSchema);

const BatchSchema = z.object({ records: z.number().int().nonnegative(), data: z.instanceof(Buffer) }).nullable();

export interface DrainOptions {
  /** Records per batch at most. */
  maxRecords?: number;
  /** How long one native drain call waits for records before returning an empty batch. */
  waitMs?: number;
}

async function native<T>(p: () => Promise<T>): Promise<T> {
  try {
    return await p();
  } catch (err) {
    throw fromNativeError(err);
  }
}

export class Engine {
  private closed = false;
  private draining = false;

  private constructor(private readonly nativeEngine: NativeEngine) {}

  /** Validates the options, then allocates the engine and opens (or preloads) its source. */
  static async open(options: EngineOptions): Promise<Engine> {
    const parsed = EngineOptionsSchema.safeParse(options);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const field = issue?.path.join('.') ?? '';
      throw new EngineConfigError(`${field || 'options'}: ${issue?.message ?? 'invalid'}`, field || undefined);
    }
    const binding = loadBinding();
    return new Engine(await native(() => binding.open(parsed.data)));
  }

  start(): void {
    this.ensureOpen();
    this.call(() => this.nativeEngine.start());
  }

  /**
   * Finished flow records, batch by batch, until the input has ended (or
   * stop() was called) and every record has been handed out.
   */
  async *batches(encoding: BatchEncoding, opts: DrainOptions = {}): AsyncGenerator<RecordBatch> {
    this.ensureOpen();
    if (this.draining) throw new EngineStateError('batches(): already being drained; the export rings have one consumer');
    this.draining = true;
    const max = opts.maxRecords ?? 16_384;
    const wait = opts.waitMs ?? 50;
    try {
      for (;;) {
        const raw = await native(() => this.nativeEngine.drain(max, encoding, wait));
        const batch = BatchSchema.parse(raw);
        if (batch === null) return;
        if (batch.records > 0) yield batch;
      }
    } finally {
      this.draining = false;
    }
  }

  stats(): EngineStats {
    return EngineStatsSchema.parse(this.call(() => this.nativeEngine.stats()));
  }

  /**
   * The alert events the detectors have produced since the last call (raised,
   * updated, resolved, heavy-hitter reports), oldest first. Never blocks. Also
   * after close(): a finished input's final events (every attack resolved) stay
   * until taken. Events lost because nobody took them are counted in
   * stats().alerts.dropped.
   */
  drainAlerts(max = 4096): AlertEvent[] {
    return AlertsSchema.parse(this.call(() => this.nativeEngine.drainAlerts(max)));
  }

  info(): EngineInfo {
    return EngineInfoSchema.parse(this.call(() => this.nativeEngine.info()));
  }

  /** Stops the input; live flows end with reason "shutdown" and are still drained. */
  stop(): void {
    if (!this.closed) this.call(() => this.nativeEngine.stop());
  }

  /** Stops if still running (records not yet drained are dropped and counted) and joins every thread. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await native(() => this.nativeEngine.close());
  }

  private ensureOpen(): void {
    if (this.closed) throw new EngineStateError('the engine is closed');
  }

  private call<T>(f: () => T): T {
    try {
      return f();
    } catch (err) {
      throw fromNativeError(err);
    }
  }
}
