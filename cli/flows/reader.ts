// Reading flow batches and alerts back from the stream with an ordered consumer (the client
// re-creates it from the last sequence seen if it stalls; nothing is acknowledged, nothing stays
// on the server), each message parsed with the published schemas.
//
// Without `follow` a read ends at the stream's last sequence as it was when the read began (a
// clean end of data); with it, it goes on until the signal aborts. `readLast` finds the last N
// matching items by reading windows backwards from the end, each window 4 times the last, so a
// small N on a long stream reads only its tail.
import { DeliverPolicy, JetStreamApiCodes, JetStreamApiError, jetstream, jetstreamManager, type JsMsg, type OrderedConsumerOptions } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';

import { StreamMissingError, StreamSetupError } from '../../agent/export/errors.js';
import { AlertMessageSchema, FlowBatchSchema, type AlertMessage, type FlowBatch } from '../../agent/export/payload-schemas.js';

/** The read stopped before it was done: the connection closed, the consumer went away. */
export class StreamReadError extends Error {
  override readonly name = 'StreamReadError';
}
export const isStreamReadError = (e: unknown): e is StreamReadError => e instanceof StreamReadError;

export type StreamItem =
  | { kind: 'flows'; seq: number; time: Date; subject: string; batch: FlowBatch }
  | { kind: 'alert'; seq: number; time: Date; subject: string; alert: AlertMessage }
  /** A message on our subjects that is not a flow-batch.v2 or alert.v1 (counted, not shown). */
  | { kind: 'invalid'; seq: number; time: Date; subject: string; reason: string };

/** Where a read starts. */
export type StartAt = { at: 'all' } | { at: 'seq'; seq: number } | { at: 'time'; time: Date } | { at: 'new' };

export interface ReadOptions {
  stream: string;
  /** Subject filters (server side). */
  subjects: string[];
  start: StartAt;
  /** Keep reading new messages until `signal` aborts. */
  follow: boolean;
  /** Without follow: stop after this sequence (default: the stream's last sequence when the read begins). */
  endSeq?: number;
  signal?: AbortSignal;
}

export interface StreamState {
  firstSeq: number;
  lastSeq: number;
  messages: number;
}

/** The stream's sequence numbers now; throws StreamMissingError or StreamSetupError. */
export async function streamState(nc: NatsConnection, stream: string): Promise<StreamState> {
  let jsm;
  try {
    jsm = await jetstreamManager(nc);
  } catch (err) {
    throw new StreamSetupError(`cannot use JetStream: ${(err as Error).message}`, { cause: err });
  }
  try {
    const s = (await jsm.streams.info(stream)).state;
    return { firstSeq: s.first_seq, lastSeq: s.last_seq, messages: s.messages };
  } catch (err) {
    if (err instanceof JetStreamApiError && err.code === JetStreamApiCodes.StreamNotFound) {
      throw new StreamMissingError(`stream ${stream} does not exist`, stream, { cause: err });
    }
    throw new StreamSetupError(`cannot read stream ${stream}: ${(err as Error).message}`, { cause: err });
  }
}

/** The message's kind from its subject: `…flows.NODE` or `…alerts.NODE` (the prefix may hold dots). */
function subjectKind(subject: string): string | undefined {
  const t = subject.split('.');
  return t[t.length - 2];
}

export function decodeMessage(m: Pick<JsMsg, 'seq' | 'subject' | 'data' | 'time'>): StreamItem {
  const base = { seq: m.seq, time: m.time, subject: m.subject };
  let body: unknown;
  try {
    body = JSON.parse(new TextDecoder().decode(m.data));
  } catch {
    return { ...base, kind: 'invalid', reason: 'not JSON' };
  }
  const kind = subjectKind(m.subject);
  if (kind === 'flows') {
    const r = FlowBatchSchema.safeParse(body);
    return r.success ? { ...base, kind: 'flows', batch: r.data } : { ...base, kind: 'invalid', reason: `not a flow-batch.v2: ${r.error.issues[0]?.message ?? ''}` };
  }
  if (kind === 'alerts') {
    const r = AlertMessageSchema.safeParse(body);
    return r.success ? { ...base, kind: 'alert', alert: r.data } : { ...base, kind: 'invalid', reason: `not an alert.v1: ${r.error.issues[0]?.message ?? ''}` };
  }
  return { ...base, kind: 'invalid', reason: 'neither flows nor alerts' };
}

function consumerOptions(o: ReadOptions): Partial<OrderedConsumerOptions> {
  const filter = o.subjects.length === 1 ? o.subjects[0]! : o.subjects;
  switch (o.start.at) {
    case 'all':
      return { filter_subjects: filter, deliver_policy: DeliverPolicy.All };
    case 'new':
      return { filter_subjects: filter, deliver_policy: DeliverPolicy.New };
    case 'seq':
      return { filter_subjects: filter, deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: o.start.seq };
    case 'time':
      return { filter_subjects: filter, deliver_policy: DeliverPolicy.StartTime, opt_start_time: o.start.time.toISOString() };
  }
}

/**
 * Reads the stream, calling onItem for each message in stream order (awaited: a slow writer slows
 * the read). Resolves to the last sequence the read covered.
 */
export async function readStream(nc: NatsConnection, o: ReadOptions, onItem: (item: StreamItem) => void | Promise<void>): Promise<number> {
  const state = await streamState(nc, o.stream);
  const endSeq = o.endSeq ?? state.lastSeq;
  if (o.signal?.aborted) return endSeq;
  if (!o.follow && (state.messages === 0 || (o.start.at === 'seq' && o.start.seq > endSeq) || o.start.at === 'new')) return endSeq;
  let consumer;
  try {
    consumer = await jetstream(nc).consumers.get(o.stream, consumerOptions(o));
  } catch (err) {
    if (err instanceof JetStreamApiError && err.code === JetStreamApiCodes.StreamNotFound) {
      throw new StreamMissingError(`stream ${o.stream} does not exist`, o.stream, { cause: err });
    }
    throw new StreamSetupError(`cannot read stream ${o.stream}: ${(err as Error).message}`, { cause: err });
  }
  if (!o.follow && (await consumer.info(true)).num_pending === 0) return endSeq;
  const messages = await consumer.consume({ max_messages: 256 });
  const stop = (): void => void messages.close().catch(() => undefined);
  o.signal?.addEventListener('abort', stop, { once: true });
  let last = 0;
  let complete = false;
  try {
    for await (const m of messages) {
      if (!o.follow && m.seq > endSeq) {
        complete = true;
        break;
      }
      last = m.seq;
      await onItem(decodeMessage(m));
      if (!o.follow && (m.seq >= endSeq || m.info.pending === 0)) {
        complete = true;
        break;
      }
      if (o.signal?.aborted) break;
    }
  } catch (err) {
    if (!o.signal?.aborted) throw new StreamReadError(`reading stream ${o.stream} failed after sequence ${last}: ${(err as Error).message}`, { cause: err });
  } finally {
    o.signal?.removeEventListener('abort', stop);
    await messages.close().catch(() => undefined);
  }
  // The iterator also ends quietly when the connection closes: that is not the end of the data.
  if (!complete && !o.signal?.aborted) throw new StreamReadError(`reading stream ${o.stream} stopped after sequence ${last}: the connection to NATS closed`);
  return o.follow ? Math.max(last, endSeq) : endSeq;
}

/**
 * The last `n` of what `select` picks from the items (each item may give several, e.g. the
 * matching records of a batch), in stream order, reading windows backwards from the end. Resolves
 * to them and the last sequence covered (a follow-up read starts after it).
 */
export async function readLast<T>(
  nc: NatsConnection,
  o: { stream: string; subjects: string[]; signal?: AbortSignal },
  n: number,
  select: (item: StreamItem) => T[],
): Promise<{ items: T[]; endSeq: number }> {
  const state = await streamState(nc, o.stream);
  const chunks: T[][] = [];
  let total = 0;
  let hi = state.lastSeq;
  let size = 64;
  while (state.messages > 0 && hi >= state.firstSeq && total < n && !o.signal?.aborted) {
    const lo = Math.max(state.firstSeq, hi - size + 1);
    const chunk: T[] = [];
    await readStream(nc, { stream: o.stream, subjects: o.subjects, start: { at: 'seq', seq: lo }, follow: false, endSeq: hi }, (item) => void chunk.push(...select(item)));
    chunks.unshift(chunk);
    total += chunk.length;
    hi = lo - 1;
    size *= 4;
  }
  const items = chunks.flat();
  return { items: items.slice(Math.max(0, items.length - n)), endSeq: state.lastSeq };
}
