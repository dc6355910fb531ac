// The exporter: one NATS connection, the stream check, the flow-batch and alert encoders, the
// spool and the publisher. The agent and `tapline analyze --nats` use it the same way:
//
//   const x = await Exporter.open(settings, log);
//   x.publishFlows(jsonlBatch);  x.publishAlert(event);   // never blocks; spools when NATS is away
//   await x.waitForRoom();                                 // lossless sources: pace the input
//   const r = await x.flush(graceMs);  await x.close();
import { randomBytes } from 'node:crypto';

import { jetstream } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import type { Logger } from 'pino';

import type { AlertEvent } from '../engine/alert-event.js';
import { AlertEncoder } from './alert-message.js';
import { connectNats } from './connection.js';
import { ExporterClosedError } from './errors.js';
import { FlowBatchEncoder, hasRecordParts, type EnrichmentState, type RecordParts } from './flow-batch.js';
import type { MessageKind, OutboundMessage } from './message.js';
import { HEADER_HEADROOM_BYTES, type ExportSettings } from './options.js';
import { Publisher } from './publisher.js';
import { Spool, type Dropped, type SpoolStats } from './spool.js';
import { openStream, type StreamSummary } from './stream.js';

type PerKind = Record<MessageKind, number>;
const perKind = (): PerKind => ({ flows: 0, alerts: 0 });

export interface ExporterStats {
  connected: boolean;
  /** Acknowledged by the stream (duplicates included: the server has them). */
  publishedMessages: PerKind;
  publishedRecords: PerKind;
  /** Acknowledgements that said the server already had the msg id. */
  duplicates: number;
  /** Publishes that failed (each retry counts). */
  publishFailures: number;
  /** Dropped because the spool was full (by the onFull rule), or refused by the server for good. */
  droppedMessages: PerKind;
  droppedRecords: PerKind;
  rejectedRecords: PerKind;
  spool: SpoolStats;
  inFlight: number;
  retrying: number;
  /** Records not yet acknowledged (spooled, retrying, in flight). */
  pendingRecords: number;
  reconnects: number;
}

export interface ExporterHooks {
  /** Seconds from publish to acknowledgement, for the latency histogram. */
  publishLatency?(kind: MessageKind, seconds: number): void;
}

/**
 * Rewrites an engine batch before it is packed (agent/identity/enricher.ts adds identities): the new
 * JSON lines, or record parts that the encoder copies straight into the messages.
 */
export type FlowRewriter = (jsonl: Buffer) => { data: Buffer; state: EnrichmentState } | RecordParts;

export interface FlushResult {
  delivered: boolean;
  pendingMessages: number;
  pendingRecords: number;
}

export class Exporter {
  readonly bootId = randomBytes(8).toString('hex');
  private readonly flows: FlowBatchEncoder;
  private readonly alerts: AlertEncoder;
  private readonly spool: Spool;
  private readonly publisher: Publisher;
  private readonly counters = {
    publishedMessages: perKind(),
    publishedRecords: perKind(),
    droppedMessages: perKind(),
    droppedRecords: perKind(),
    rejectedRecords: perKind(),
    duplicates: 0,
    publishFailures: 0,
    reconnects: 0,
  };
  private closed = false;
  private rewrite: FlowRewriter | undefined;
  private roomWaiters: Array<() => void> = [];
  private readonly log: Logger;

  private constructor(
    private readonly nc: NatsConnection,
    readonly settings: ExportSettings,
    readonly stream: StreamSummary,
    log: Logger,
    private readonly hooks: ExporterHooks,
  ) {
    this.log = log.child({ component: 'export', stream: settings.stream });
    const maxPayload = nc.info?.max_payload ?? 1024 * 1024;
    const streamMax = stream.maxMsgSize > 0 ? stream.maxMsgSize : Infinity;
    const maxBytes = Math.min(settings.batchMaxBytes, maxPayload - HEADER_HEADROOM_BYTES, streamMax - HEADER_HEADROOM_BYTES);
    const ctx = { node: settings.node, policy: settings.policy, bootId: this.bootId };
    this.flows = new FlowBatchEncoder({ ...ctx, subject: settings.subjects.flows, maxRecords: settings.batchMaxRecords, maxBytes });
    this.alerts = new AlertEncoder({ ...ctx, subject: settings.subjects.alerts });
    this.spool = new Spool(settings.spool, (d) => this.dropped(d));
    this.spool.onRoom = () => this.notifyRoom(); // the disk caught up: a paced input waits no longer
    if (this.spool.length > 0) this.log.info({ messages: this.spool.length, bytes: this.spool.bytes }, 'resending spooled batches of an earlier run');
    if (this.spool.damagedFiles > 0) this.log.warn({ files: this.spool.damagedFiles, dir: settings.spool.dir }, 'damaged spool files set aside');
    this.publisher = new Publisher(
      jetstream(nc),
      this.spool,
      { maxInFlight: settings.maxInFlight, ackTimeoutMs: settings.ackTimeoutMs, stream: settings.stream },
      {
        acked: (m, seconds, duplicate) => {
          this.counters.publishedMessages[m.kind]++;
          this.counters.publishedRecords[m.kind] += m.records;
          if (duplicate) this.counters.duplicates++;
          this.hooks.publishLatency?.(m.kind, seconds);
          this.spool.release(m); // stored: its spool file (if any) goes now, not before
          this.notifyRoom();
        },
        failed: (m, err, rejected) => {
          this.counters.publishFailures++;
          if (rejected) {
            this.spool.release(m); // dropped for good
            this.counters.rejectedRecords[m.kind] += m.records;
            this.log.error({ kind: m.kind, msgId: m.msgId, records: m.records, err: (err as Error).message }, 'message refused by the server, dropped');
          }
        },
      },
      this.log,
    );
    void this.watchStatus();
    this.log.info({ bootId: this.bootId, subjects: settings.subjects, maxMessageBytes: maxBytes, maxInFlight: settings.maxInFlight }, 'exporter ready');
  }

  /** Connects, checks (or creates) the stream. Throws NatsConnectError, CredentialsError, Stream*Error. */
  static async open(settings: ExportSettings, log: Logger, hooks: ExporterHooks = {}): Promise<Exporter> {
    const nc = await connectNats(settings);
    try {
      // waits out a leader election in a JetStream cluster (bounded, with a warning while it waits)
      const stream = await openStream(nc, settings.stream, settings.subjects, settings.create, log.child({ component: 'export' }), {
        waitMs: settings.streamWaitMs,
      });
      return new Exporter(nc, settings, stream, log, hooks);
    } catch (err) {
      await nc.close().catch(() => undefined);
      throw err;
    }
  }

  /** The NATS connection (the identity map's watch shares it). */
  get connection(): NatsConnection {
    return this.nc;
  }

  /** Every later flow batch goes through `f` first (its state goes into the batch's `enrichment`). */
  rewriteFlowsWith(f: FlowRewriter): void {
    this.rewrite = f;
  }

  private encodeFlows(jsonl: Buffer): OutboundMessage[] {
    if (!this.rewrite) return this.flows.encode(jsonl);
    const r = this.rewrite(jsonl);
    return hasRecordParts(r) ? this.flows.encodeParts(r) : this.flows.encode(r.data, r.state);
  }

  /** Queues one engine batch (JSON lines) as flow-batch messages. */
  publishFlows(jsonl: Buffer): void {
    if (this.closed) throw new ExporterClosedError('publishFlows() after close()');
    for (const m of this.encodeFlows(jsonl)) this.spool.push(m);
    this.publisher.wake();
  }

  /**
   * The same for inputs that can wait (capture files): each message is queued only once the spool
   * is below half full, so nothing is dropped however long NATS is away.
   */
  async publishFlowsPaced(jsonl: Buffer): Promise<void> {
    if (this.closed) throw new ExporterClosedError('publishFlowsPaced() after close()');
    for (const m of this.encodeFlows(jsonl)) {
      await this.waitForRoom();
      this.spool.push(m);
      this.publisher.wake();
    }
  }

  publishAlert(event: AlertEvent): void {
    if (this.closed) throw new ExporterClosedError('publishAlert() after close()');
    this.spool.push(this.alerts.encode(event));
    this.publisher.wake();
  }

  /** For inputs that can wait (capture files): resolves once the spool is below `fill` of its size. */
  waitForRoom(fill = 0.5): Promise<void> {
    if (this.spool.fill < fill || this.closed) return Promise.resolve();
    return new Promise((resolve) => {
      const check = () => {
        if (this.spool.fill < fill || this.closed) resolve();
        else this.roomWaiters.push(check);
      };
      this.roomWaiters.push(check);
    });
  }

  /** Waits until every queued message is acknowledged, or timeoutMs. */
  async flush(timeoutMs: number): Promise<FlushResult> {
    this.publisher.wake();
    const delivered = await this.publisher.whenIdle(timeoutMs);
    const s = this.stats();
    return { delivered, pendingMessages: this.publisher.pending, pendingRecords: s.pendingRecords };
  }

  /** Whether the export is working or spooling within its limits (readiness). */
  get healthy(): boolean {
    return this.publisher.isConnected || this.spool.fill < 0.9;
  }

  stats(): ExporterStats {
    const p = this.publisher.stats();
    const spool = this.spool.stats();
    const c = this.counters;
    return {
      connected: p.connected,
      publishedMessages: { ...c.publishedMessages },
      publishedRecords: { ...c.publishedRecords },
      duplicates: c.duplicates,
      publishFailures: c.publishFailures,
      droppedMessages: { ...c.droppedMessages },
      droppedRecords: { ...c.droppedRecords },
      rejectedRecords: { ...c.rejectedRecords },
      spool,
      inFlight: p.inFlight,
      retrying: p.retrying,
      pendingRecords: spool.records + p.retryingRecords + p.inFlightRecords,
      reconnects: c.reconnects,
    };
  }

  /** Closes the connection; what is still pending stays in the disk spool (if any) or is lost, as stats() says. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.publisher.close();
    this.notifyRoom();
    await this.nc.close();
  }

  private dropped(d: Dropped): void {
    this.counters.droppedMessages[d.kind]++;
    this.counters.droppedRecords[d.kind] += d.records;
  }

  private notifyRoom(): void {
    const w = this.roomWaiters;
    this.roomWaiters = [];
    for (const f of w) f();
  }

  private async watchStatus(): Promise<void> {
    for await (const s of this.nc.status()) {
      if (s.type === 'disconnect') {
        this.publisher.setConnected(false);
        this.log.warn({ server: s.server }, 'NATS disconnected; spooling');
      } else if (s.type === 'reconnect') {
        this.counters.reconnects++;
        this.publisher.setConnected(true);
        this.log.info({ server: s.server, spooled: this.spool.length }, 'NATS reconnected; sending spooled batches');
      }
    }
  }
}
