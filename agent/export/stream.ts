// Makes sure the stream the exporter publishes to exists and captures its subjects. It creates
// the stream (file storage, the configured limits and duplicate window) only when the settings
// allow it; an existing stream is never changed.
//
// In a JetStream cluster the stream (or the cluster's meta) leader can be away for a few seconds
// while the servers elect a new one: the JetStream API then times out or answers "temporarily
// unavailable" (10008), and creating a replicated stream while a server is down answers
// "insufficient resources". openStream() waits such an election out (bounded by waitMs, with a
// warning each time it retries) instead of failing the start; every other answer is final.
import {
  DiscardPolicy,
  JetStreamApiCodes,
  JetStreamApiError,
  RetentionPolicy,
  StorageType,
  type JetStreamManager,
  type StreamConfig,
  type StreamInfo,
} from '@nats-io/jetstream';
import { jetstreamManager } from '@nats-io/jetstream';
import { TimeoutError, nanos, type NatsConnection } from '@nats-io/transport-node';
import type { Logger } from 'pino';

import { StreamMissingError, StreamSetupError, StreamSubjectsError } from './errors.js';
import type { StreamCreateSettings } from './options.js';
import { subjectMatches, type ExportSubjects } from './subjects.js';

export interface StreamSummary {
  name: string;
  subjects: string[];
  created: boolean;
  duplicateWindowSeconds: number;
  maxMsgSize: number;
}

/** How long start-up waits out a leader election by default (elections take seconds). */
export const STREAM_ELECTION_WAIT_MS = 60_000;
/** JetStream API error codes that mean "no leader (yet)" or "not enough servers up (yet)". */
const ELECTION_CODES = new Set([
  10008, // JetStream system temporarily unavailable (no meta or stream leader)
  10023, // insufficient resources (a replica's server is down while creating an R3 stream)
  10005, // no suitable peers for placement
]);
const STREAM_NAME_IN_USE = 10058;

/** An error that a leader election (or a server on its way back) explains: worth asking again. */
export function isElectionPending(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    if (e instanceof TimeoutError) return true;
    if (e instanceof JetStreamApiError && ELECTION_CODES.has(e.code)) return true;
    if (/^timeout$/i.test(e.message)) return true;
  }
  return false;
}

export interface OpenStreamOptions {
  /** How long to wait out a leader election before giving up (default STREAM_ELECTION_WAIT_MS). */
  waitMs?: number;
  /** Pause between tries (default 1 s). */
  retryMs?: number;
}

/**
 * The JetStream manager and ensureStream(), asking again while the cluster elects a leader.
 * Throws what ensureStream() throws (the last error once waitMs has passed).
 */
export async function openStream(
  nc: NatsConnection,
  name: string,
  subjects: ExportSubjects,
  create: StreamCreateSettings | undefined,
  log: Logger,
  o: OpenStreamOptions = {},
): Promise<StreamSummary> {
  const waitMs = o.waitMs ?? STREAM_ELECTION_WAIT_MS;
  const retryMs = o.retryMs ?? 1000;
  const started = Date.now();
  for (let attempt = 1; ; attempt++) {
    try {
      let jsm: JetStreamManager;
      try {
        jsm = await jetstreamManager(nc);
      } catch (err) {
        throw new StreamSetupError(`cannot use JetStream: ${(err as Error).message}`, { cause: err });
      }
      const s = await ensureStream(jsm, name, subjects, create, log);
      if (attempt > 1) log.info({ stream: name, waitedMs: Date.now() - started, attempts: attempt }, 'stream available after a leader election');
      return s;
    } catch (err) {
      const waited = Date.now() - started;
      const pending = isElectionPending(err);
      if (!pending || waited + retryMs > waitMs) {
        if (pending && err instanceof Error) err.message += ` (after waiting ${Math.round(waited / 1000)} s for a JetStream leader)`;
        throw err;
      }
      log.warn(
        { stream: name, attempt, waitedMs: waited, waitLimitMs: waitMs, err: (err as Error).message },
        'JetStream has no leader for the stream yet (an election in the cluster?); waiting',
      );
      await new Promise((r) => setTimeout(r, retryMs));
    }
  }
}

function isNotFound(err: unknown): boolean {
  return err instanceof JetStreamApiError && err.code === JetStreamApiCodes.StreamNotFound;
}

function summary(info: StreamInfo, created: boolean): StreamSummary {
  return {
    name: info.config.name,
    subjects: info.config.subjects ?? [],
    created,
    duplicateWindowSeconds: Number(info.config.duplicate_window) / 1e9,
    maxMsgSize: info.config.max_msg_size ?? -1,
  };
}

export function createConfig(name: string, c: StreamCreateSettings): Partial<StreamConfig> & { name: string } {
  return {
    name,
    subjects: c.subjects,
    storage: StorageType.File,
    retention: RetentionPolicy.Limits,
    discard: DiscardPolicy.Old,
    max_age: nanos(c.maxAgeSeconds * 1000),
    ...(c.maxBytes === undefined ? {} : { max_bytes: c.maxBytes }),
    num_replicas: c.replicas,
    duplicate_window: nanos(c.duplicateWindowSeconds * 1000),
  };
}

export async function ensureStream(
  jsm: JetStreamManager,
  name: string,
  subjects: ExportSubjects,
  create: StreamCreateSettings | undefined,
  log: Logger,
): Promise<StreamSummary> {
  let info: StreamInfo;
  let created = false;
  try {
    info = await jsm.streams.info(name);
  } catch (err) {
    if (!isNotFound(err)) throw new StreamSetupError(`cannot look up stream ${name}: ${(err as Error).message}`, { cause: err });
    if (!create) {
      throw new StreamMissingError(`stream ${name} does not exist and creating it is not allowed (export.createStream is not set)`, name, { cause: err });
    }
    try {
      info = await jsm.streams.add(createConfig(name, create));
      created = true;
      log.info({ stream: name, subjects: create.subjects, replicas: create.replicas }, 'stream created');
    } catch (addErr) {
      // an earlier try (timed out in an election) or another agent created it meanwhile
      if (addErr instanceof JetStreamApiError && addErr.code === STREAM_NAME_IN_USE) {
        try {
          info = await jsm.streams.info(name);
        } catch (again) {
          throw new StreamSetupError(`cannot look up stream ${name}: ${(again as Error).message}`, { cause: again });
        }
      } else {
        throw new StreamSetupError(`cannot create stream ${name}: ${(addErr as Error).message}`, { cause: addErr });
      }
    }
  }
  const have = info.config.subjects ?? [];
  const uncovered = [subjects.flows, subjects.alerts].filter((s) => !have.some((f) => subjectMatches(f, s)));
  if (uncovered.length) {
    throw new StreamSubjectsError(
      `stream ${name} does not capture ${uncovered.join(' and ')} (its subjects: ${have.join(', ') || 'none'})`,
      name,
      uncovered,
    );
  }
  const s = summary(info, created);
  if (s.duplicateWindowSeconds <= 0) log.warn({ stream: name }, 'stream has no duplicate window: a resend after a reconnect may be stored twice');
  return s;
}
