// Packs the engine's JSON-lines batches into flow-batch messages (agent/schemas/flow-batch.v2.json):
//
//   {"schema":"tapline.flow-batch.v2","node":"n1","policy":{"namespace":"ns","name":"p"},
//    "bootId":"...","seq":7,"count":2,"enrichment":"on","records":[{...},{...}]}
//
// Each message holds at most maxRecords records and maxBytes bytes. The records are copied as
// the engine encoded them, with the identities already added by agent/identity (newlines become
// commas); nothing is parsed. Sequence numbers count
// messages from 0 within one boot, so the Nats-Msg-Id names the message's place in the output.
import type { OutboundMessage } from './message.js';

export const FLOW_BATCH_SCHEMA = 'tapline.flow-batch.v2';

/** on: every record has src/dst; off: enrichment not asked for; unavailable: asked for, no identity map. */
export const ENRICHMENT_STATES = ['on', 'off', 'unavailable'] as const;
export type EnrichmentState = (typeof ENRICHMENT_STATES)[number];

export interface FlowBatchContext {
  node: string;
  policy: { namespace: string; name: string };
  /** Random per process start. */
  bootId: string;
  subject: string;
  maxRecords: number;
  maxBytes: number;
}

/** A record line longer than a whole message cannot be sent. */
export class RecordTooLargeError extends Error {
  override readonly name = 'RecordTooLargeError';
}
export const isRecordTooLargeError = (e: unknown): e is RecordTooLargeError => e instanceof RecordTooLargeError;

const NEWLINE = 0x0a;
const COMMA = 0x2c;
const TAIL = Buffer.from(']}');

export class FlowBatchEncoder {
  private seq = 0;

  constructor(private readonly ctx: FlowBatchContext) {}

  /** Messages sent so far (the next sequence number). */
  get sequence(): number {
    return this.seq;
  }

  private head(seq: number, count: number, enrichment: EnrichmentState): Buffer {
    const c = this.ctx;
    const json = JSON.stringify({ schema: FLOW_BATCH_SCHEMA, node: c.node, policy: c.policy, bootId: c.bootId, seq, count, enrichment });
    return Buffer.from(`${json.slice(0, -1)},"records":[`);
  }

  /** Splits one engine batch (JSON lines, each ending in a newline) into messages. */
  encode(jsonl: Buffer, enrichment: EnrichmentState = 'off'): OutboundMessage[] {
    const out: OutboundMessage[] = [];
    const { maxRecords, maxBytes } = this.ctx;
    // A head is about 150 bytes plus names; measure it with the widest count and seq.
    const headBytes = this.head(this.seq + 1_000_000, maxRecords, 'unavailable').length + TAIL.length;
    const budget = maxBytes - headBytes;
    let start = 0;
    let pos = 0;
    let count = 0;
    const ends: number[] = [];
    while (pos < jsonl.length) {
      let nl = jsonl.indexOf(NEWLINE, pos);
      if (nl < 0) nl = jsonl.length; // a last line without its newline
      const lineEnd = nl + 1; // includes the separator byte
      if (lineEnd - pos > budget) throw new RecordTooLargeError(`a flow record of ${lineEnd - pos} bytes does not fit a ${maxBytes}-byte message`);
      if (count > 0 && (count === maxRecords || lineEnd - start > budget)) {
        out.push(this.message(jsonl, start, ends, enrichment));
        start = pos;
        count = 0;
        ends.length = 0;
      }
      ends.push(nl);
      count++;
      pos = lineEnd;
    }
    if (count > 0) out.push(this.message(jsonl, start, ends, enrichment));
    return out;
  }

  private message(jsonl: Buffer, start: number, ends: readonly number[], enrichment: EnrichmentState): OutboundMessage {
    const seq = this.seq++;
    const head = this.head(seq, ends.length, enrichment);
    const last = ends[ends.length - 1] ?? start;
    const bodyLen = last - start; // without the final newline
    const payload = Buffer.allocUnsafe(head.length + bodyLen + TAIL.length);
    head.copy(payload, 0);
    jsonl.copy(payload, head.length, start, last);
    for (let i = 0; i < ends.length - 1; i++) payload[head.length + (ends[i]! - start)] = COMMA;
    TAIL.copy(payload, head.length + bodyLen);
    const c = this.ctx;
    return {
      kind: 'flows',
      subject: c.subject,
      msgId: `${c.node}:${c.bootId}:flows:${seq}`,
      schema: FLOW_BATCH_SCHEMA,
      records: ends.length,
      payload,
    };
  }
}
