// The reading side of `tapline top` (and of the demo's live view): the stream read with the shared
// reader from a start position, following new messages, each batch and alert that passes the
// filters counted into a TopModel.
import type { NatsConnection } from '@nats-io/transport-node';

import { alertMatches, batchMatches, recordMatches, type FlowFilter } from '../flows/filter.js';
import { readStream, type StartAt } from '../flows/reader.js';
import { TopModel } from './model.js';

export interface WatchOptions {
  stream: string;
  /** Subject filters (cli/flows/filter.ts subjectFilters, flows and alerts). */
  subjects: string[];
  filter: FlowFilter;
  start: StartAt;
  windowSeconds: number;
}

export interface StreamWatch {
  model: TopModel;
  /** Rejects when the read fails (the stream was deleted, the connection closed for good). */
  done: Promise<void>;
  /** Resolves once no message has arrived for idleMs (or timeoutMs has passed). */
  settle(idleMs: number, timeoutMs: number): Promise<void>;
  close(): Promise<void>;
}

export async function watchStream(nc: NatsConnection, o: WatchOptions): Promise<StreamWatch> {
  const model = new TopModel(o.windowSeconds);
  const ac = new AbortController();
  let lastMessageAt = Date.now();
  const done = readStream(nc, { stream: o.stream, subjects: o.subjects, start: o.start, follow: true, signal: ac.signal }, (item) => {
    lastMessageAt = Date.now();
    if (item.kind === 'invalid') model.addInvalid();
    else if (item.kind === 'alert') {
      if (alertMatches(o.filter, item.alert)) model.addAlert(item.alert);
    } else if (batchMatches(o.filter, item.batch)) {
      model.addBatch(item.batch, item.batch.records.filter((r) => recordMatches(o.filter, r)), item.time);
    }
  }).then(() => undefined);
  done.catch(() => undefined);
  return {
    model,
    done,
    async settle(idleMs, timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      while (Date.now() - lastMessageAt < idleMs && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    },
    async close() {
      ac.abort();
      await done.catch(() => undefined);
    },
  };
}
