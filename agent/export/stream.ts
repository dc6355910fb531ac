// Makes sure the stream the exporter publishes to exists and captures its subjects. It creates
// the stream (file storage, the configured limits and duplicate window) only when the settings
// allow it; an existing stream is never changed.
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
import { nanos } from '@nats-io/transport-node';
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
      throw new StreamSetupError(`cannot create stream ${name}: ${(addErr as Error).message}`, { cause: addErr });
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
