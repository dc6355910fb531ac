// Packs the engine's JSON-lines batches into flow-batch messages (agent/schemas/flow-batch.v2.json):
//
//   {"schema":"tapline.flow-batch.v2","node":"n1","policy":{"namespace":"ns","name":"p"},
//    "bootId":"...","seq":7,"count":2,"enrichment":"on","records":[{...},{...}]}
//
// Each message holds at most maxRecords records and maxBytes bytes. The records are copied as
// the engine encoded them (newlines become commas); nothing is parsed. With identities
// (agent/identity/enricher.ts), encodeParts copies each record's body and its identity fragments
// straight into the payload: one copy of every byte, no enriched batch in between. Sequence numbers count
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

/**
 * An engine batch as record parts: record i is source[starts[i], ends[i]) followed by
 * fragments[2i] and fragments[2i+1] (the enricher's src/dst identities, the second closing the record).
 */
export interface RecordParts {
  readonly state: EnrichmentState;
  readonly source: Buffer;
  readonly count: number;
  readonly starts: Int32Array;
  readonly ends: Int32Array;
  readonly fragments: readonly Buffer[];
}

export function hasRecordParts(x: object): x is RecordParts {
  return 'fragments' in x && 'starts' in x;
}

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

  /** The same as encode(the batch as JSON lines, state), from its parts, without making the batch. */
  encodeParts(p: RecordParts): OutboundMessage[] {
    const out: OutboundMessage[] = [];
    const { maxRecords, maxBytes } = this.ctx;
    const headBytes = this.head(this.seq + 1_000_000, maxRecords, 'unavailable').length + TAIL.length;
    const budget = maxBytes - headBytes;
    const { starts, ends, fragments: f, count: n } = p;
    let first = 0;
    let bytes = 0; // of the records first..i-1, each with its separator
    for (let i = 0; i < n; i++) {
      const len = ends[i]! - starts[i]! + f[2 * i]!.length + f[2 * i + 1]!.length + 1;
      if (len > budget) throw new RecordTooLargeError(`a flow record of ${len} bytes does not fit a ${maxBytes}-byte message`);
      if (i > first && (i - first === maxRecords || bytes + len > budget)) {
        out.push(this.partsMessage(p, first, i, bytes - 1));
        first = i;
        bytes = 0;
      }
      bytes += len;
    }
    if (n > first) out.push(this.partsMessage(p, first, n, bytes - 1));
    return out;
  }

  private partsMessage(p: RecordParts, from: number, to: number, bodyLen: number): OutboundMessage {
    const seq = this.seq++;
    const head = this.head(seq, to - from, p.state);
    const payload = Buffer.allocUnsafe(head.length + bodyLen + TAIL.length);
    let at = head.copy(payload, 0);
    const { source, starts, ends, fragments: f } = p;
    for (let i = from; i < to; i++) {
      if (i > from) payload[at++] = COMMA;
      at += source.copy(payload, at, starts[i]!, ends[i]!);
      const a = f[2 * i]!;
      const b = f[2 * i + 1]!;
      // TypedArray#set: a builtin memmove, no call into C++ as Buffer#copy makes
      payload.set(a, at);
      at += a.length;
      payload.set(b, at);
      at += b.length;
    }
    TAIL.copy(payload, at);
    return this.outbound(seq, to - from, payload);
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
    return this.outbound(seq, ends.length, payload);
  }

  private outbound(seq: number, records: number, payload: Buffer): OutboundMessage {
    const c = this.ctx;
    return {
      kind: 'flows',
      subject: c.subject,
      msgId: `${c.node}:${c.bootId}:flows:${seq}`,
      schema: FLOW_BATCH_SCHEMA,
      records,
      payload,
    };
  }
}
