// Publishes the spool's messages to JetStream with at most maxInFlight awaiting their
// acknowledgement. A publish that fails (timeout, disconnect, JetStream not ready) goes back in
// front of the queue in its original order and is sent again after a backoff with the same
// Nats-Msg-Id, so the server's de-duplication stores it once. While the connection is down
// nothing new is sent: messages stay in the spool (memory, then disk).
import type { JetStreamClient } from '@nats-io/jetstream';
import type { Logger } from 'pino';

import { messageHeaders, type MessageKind, type OutboundMessage } from './message.js';
import type { Spool } from './spool.js';
import { LEDGER_INTERVAL_MS } from './spool-ledger.js';

interface Entry {
  order: number;
  m: OutboundMessage;
}

export interface PublisherHooks {
  /** An acknowledgement arrived; `duplicate`: the server already had this msg id. */
  acked(m: OutboundMessage, latencySeconds: number, duplicate: boolean): void;
  /** A publish failed and will be retried (`rejected` false) or was refused for good (true). */
  failed(m: OutboundMessage, err: unknown, rejected: boolean): void;
}

export interface PublisherStats {
  inFlight: number;
  retrying: number;
  retryingRecords: number;
  inFlightRecords: number;
  connected: boolean;
}

const BACKOFF_MIN_MS = 100;
const BACKOFF_MAX_MS = 5000;

/** Errors that sending again cannot fix. */
function isPermanent(err: unknown): boolean {
  const msg = err instanceof Error ? err.message : String(err);
  return /max_payload|maximum payload|message size exceeds/i.test(msg);
}

export class Publisher {
  private readonly inFlight = new Map<number, OutboundMessage>();
  private readonly retry: Entry[] = [];
  private nextOrder = 0;
  private connected = true;
  private backoffMs = 0;
  private pausedUntil = 0;
  private timer: NodeJS.Timeout | undefined;
  private scheduled = false;
  private closed = false;
  private idleWaiters: Array<() => void> = [];
  private ledgerTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly js: JetStreamClient,
    private readonly spool: Spool,
    private readonly opts: { maxInFlight: number; ackTimeoutMs: number; stream: string },
    private readonly hooks: PublisherHooks,
    private readonly log: Logger,
  ) {
    const lost = spool.lostAtStart;
    if (lost) {
      // object first, a fixed message (the counts are in the object)
      log.error(
        {
          lostRecords: lost.records,
          lostMessages: lost.messages,
          // of those, sent before the kill (in flight or awaiting a retry): the server may have them
          maybeStoredRecords: lost.sentRecords,
          maybeStoredMessages: lost.sentMessages,
          previousPid: lost.pid,
          lastCheckpoint: lost.checkpointAt,
          checkpointIntervalMs: LEDGER_INTERVAL_MS,
        },
        'the previous agent process was killed: at most lostRecords records that were only in memory (not in the disk spool) are lost',
      );
    }
    if (spool.hasDisk) {
      this.checkpoint();
      this.ledgerTimer = setInterval(() => this.checkpoint(), LEDGER_INTERVAL_MS);
      this.ledgerTimer.unref();
    }
  }

  private checkpoint(): void {
    this.spool.checkpoint([...this.inFlight.values(), ...this.retry.map((e) => e.m)]);
  }

  stats(): PublisherStats {
    let inFlightRecords = 0;
    for (const m of this.inFlight.values()) inFlightRecords += m.records;
    return {
      inFlight: this.inFlight.size,
      retrying: this.retry.length,
      retryingRecords: this.retry.reduce((n, e) => n + e.m.records, 0),
      inFlightRecords,
      connected: this.connected,
    };
  }

  /** Messages not yet acknowledged: spooled, waiting for a retry, or in flight. */
  get pending(): number {
    return this.spool.length + this.retry.length + this.inFlight.size;
  }

  get isConnected(): boolean {
    return this.connected;
  }

  setConnected(up: boolean): void {
    this.connected = up;
    if (up) {
      this.backoffMs = 0;
      this.pausedUntil = 0;
      this.wake();
    }
  }

  /** Something was queued or a slot freed: publish what can go now. */
  wake(): void {
    if (this.scheduled || this.closed) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.pump();
    });
  }

  /** Resolves true once nothing is pending, false when timeoutMs passes first. */
  whenIdle(timeoutMs: number): Promise<boolean> {
    if (this.pending === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.idleWaiters = this.idleWaiters.filter((w) => w !== done);
        resolve(false);
      }, timeoutMs);
      const done = () => {
        clearTimeout(t);
        resolve(true);
      };
      this.idleWaiters.push(done);
    });
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.ledgerTimer) clearInterval(this.ledgerTimer);
    this.spool.markStopped();
  }

  private pump(): void {
    if (this.closed) return;
    if (this.pending === 0) {
      const w = this.idleWaiters;
      this.idleWaiters = [];
      for (const f of w) f();
      return;
    }
    if (!this.connected) return;
    const wait = this.pausedUntil - Date.now();
    if (wait > 0) {
      if (!this.timer) {
        this.timer = setTimeout(() => {
          this.timer = undefined;
          this.pump();
        }, wait);
      }
      return;
    }
    while (this.inFlight.size < this.opts.maxInFlight) {
      let e = this.retry.shift();
      if (!e) {
        const m = this.spool.shift();
        if (!m) break;
        e = { order: this.nextOrder++, m };
      }
      this.send(e);
      // after a failure, probe with one message until one succeeds
      if (this.backoffMs > 0) break;
    }
  }

  private send(e: Entry): void {
    const { m, order } = e;
    this.inFlight.set(order, m);
    const t0 = process.hrtime.bigint();
    let p: Promise<{ duplicate: boolean }>;
    try {
      p = this.js.publish(m.subject, m.payload, {
        msgID: m.msgId,
        headers: messageHeaders(m),
        timeout: this.opts.ackTimeoutMs,
        expect: { streamName: this.opts.stream },
      });
    } catch (err) {
      p = Promise.reject(err);
    }
    p.then(
      (ack) => {
        this.inFlight.delete(order);
        this.backoffMs = 0;
        this.hooks.acked(m, Number(process.hrtime.bigint() - t0) / 1e9, ack.duplicate);
        this.pump();
      },
      (err: unknown) => {
        this.inFlight.delete(order);
        const rejected = isPermanent(err);
        this.hooks.failed(m, err, rejected);
        if (!rejected) {
          // back in front, in order
          let i = this.retry.findIndex((r) => r.order > order);
          if (i < 0) i = this.retry.length;
          this.retry.splice(i, 0, e);
          this.backoffMs = Math.min(BACKOFF_MAX_MS, Math.max(BACKOFF_MIN_MS, this.backoffMs * 2));
          this.pausedUntil = Date.now() + this.backoffMs;
          this.log.debug({ kind: m.kind as MessageKind, backoffMs: this.backoffMs, err: (err as Error).message }, 'publish failed, will retry');
        }
        this.pump();
      },
    );
  }
}
