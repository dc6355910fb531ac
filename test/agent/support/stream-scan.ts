// Every message of a stream, one at a time, without keeping them: for streams of hundreds of
// megabytes (test/nats/stream-reader.ts keeps them all, and its pulls of 100 messages stall on
// messages of half a megabyte). A pull asks for a few messages at a time.
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';

export interface ScannedMessage {
  seq: number;
  msgId: string | undefined;
  headers: Record<string, string>;
  data: Uint8Array;
}

/** Calls `each` for every message in the stream now, in order; returns how many there were. */
export async function scanStream(url: string, stream: string, each: (m: ScannedMessage) => void): Promise<number> {
  const nc = await connect({ servers: url });
  try {
    const total = (await (await jetstreamManager(nc)).streams.info(stream)).state.messages;
    if (total === 0) return 0;
    const iter = await (await jetstream(nc).consumers.get(stream)).consume({ max_messages: 16 });
    let n = 0;
    for await (const m of iter) {
      const headers: Record<string, string> = {};
      for (const [k, v] of m.headers ?? []) headers[k] = v.join(',');
      each({ seq: m.seq, msgId: m.headers?.get('Nats-Msg-Id') || undefined, headers, data: m.data });
      if (++n >= total) break;
    }
    await iter.close();
    return n;
  } finally {
    await nc.close();
  }
}

/** One agent boot's flow batches in a stream, summed up for an exactly-once check. */
export interface FlowExport {
  messages: number;
  /** Distinct Nats-Msg-Id values. */
  msgIds: number;
  /** Batch sequence numbers are 0..messages-1, none missing, none twice. */
  gapless: boolean;
  boots: number;
  records: number;
  /** Distinct flows (5-tuple and start). */
  flows: number;
  /** Batches whose count, Tapline-Records header or Nats-Msg-Id disagree with their content. */
  inconsistent: number;
}

/** Reads every flow batch of the stream (one node's agent) and sums up what an exactly-once check compares. */
export async function scanFlowExport(url: string, stream: string, node: string): Promise<FlowExport> {
  const msgIds = new Set<string>();
  const seqs: number[] = [];
  const boots = new Set<string>();
  const keys = new Set<string>();
  let records = 0;
  let inconsistent = 0;
  const messages = await scanStream(url, stream, (m) => {
    const b = JSON.parse(Buffer.from(m.data).toString('utf8')) as {
      seq: number;
      bootId: string;
      count: number;
      records: Array<{ srcAddr: string; srcPort: number; dstAddr: string; dstPort: number; start: string }>;
    };
    if (b.records.length !== b.count || m.headers['Tapline-Records'] !== String(b.count) || m.msgId !== `${node}:${b.bootId}:flows:${b.seq}`) inconsistent++;
    if (m.msgId) msgIds.add(m.msgId);
    seqs.push(b.seq);
    boots.add(b.bootId);
    records += b.count;
    for (const r of b.records) keys.add(`${r.srcAddr}|${r.srcPort}|${r.dstAddr}|${r.dstPort}|${r.start}`);
  });
  seqs.sort((x, y) => x - y);
  return { messages, msgIds: msgIds.size, gapless: seqs.every((q, i) => q === i), boots: boots.size, records, flows: keys.size, inconsistent };
}
