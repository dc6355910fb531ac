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
