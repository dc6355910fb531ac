// Reads every message of a stream back (an ordered consumer), with the headers the tests check.
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect, type ConnectionOptions } from '@nats-io/transport-node';

export interface StoredMessage {
  seq: number;
  subject: string;
  msgId: string | undefined;
  headers: Record<string, string>;
  data: Uint8Array;
  json(): unknown;
}

export async function readStream(url: string, stream: string, opts: Partial<ConnectionOptions> = {}): Promise<StoredMessage[]> {
  const nc = await connect({ servers: url, ...opts });
  try {
    const jsm = await jetstreamManager(nc);
    const total = (await jsm.streams.info(stream)).state.messages;
    const out: StoredMessage[] = [];
    if (total === 0) return out;
    const consumer = await jetstream(nc).consumers.get(stream);
    const iter = await consumer.consume();
    for await (const m of iter) {
      const headers: Record<string, string> = {};
      for (const [k, v] of m.headers ?? []) headers[k] = v.join(',');
      const data = m.data;
      out.push({ seq: m.seq, subject: m.subject, msgId: m.headers?.get('Nats-Msg-Id') || undefined, headers, data, json: () => JSON.parse(new TextDecoder().decode(data)) });
      if (out.length >= total) break;
    }
    await iter.close();
    return out;
  } finally {
    await nc.close();
  }
}

/** Messages in the stream now (no reading). */
export async function streamMessageCount(url: string, stream: string, opts: Partial<ConnectionOptions> = {}): Promise<number> {
  const nc = await connect({ servers: url, ...opts });
  try {
    return (await (await jetstreamManager(nc)).streams.info(stream)).state.messages;
  } finally {
    await nc.close();
  }
}
