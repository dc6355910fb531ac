// What the exporter needs, resolved from the agent config (with the agent's defaults) or from
// the command line (`tapline analyze --nats`).
import type { AgentConfig } from '../config/schema.js';
import type { NatsCredentialFiles } from './credentials.js';
import { nodeSubjects, policySubjects, type ExportSubjects } from './subjects.js';

export const EXPORT_DEFAULTS = {
  batchMaxRecords: 2000,
  batchMaxBytes: 512 * 1024,
  maxInFlight: 32,
  ackTimeoutSeconds: 5,
  spoolMemoryBytes: 64 * 1024 * 1024,
  spoolDiskBytes: 1024 * 1024 * 1024,
  onFull: 'dropOldest',
  duplicateWindowSeconds: 120,
} as const;

/** Headroom under the server's max_payload for the message headers. */
export const HEADER_HEADROOM_BYTES = 4096;

export interface StreamCreateSettings {
  subjects: string[];
  maxAgeSeconds: number;
  maxBytes?: number | undefined;
  replicas: number;
  duplicateWindowSeconds: number;
}

export interface SpoolSettings {
  memoryBytes: number;
  dir?: string | undefined;
  diskBytes: number;
  onFull: 'dropOldest' | 'dropNewest';
}

export interface ExportSettings {
  servers: string[];
  stream: string;
  subjects: ExportSubjects;
  /** Present when the exporter may create the stream. */
  create?: StreamCreateSettings | undefined;
  credentials: NatsCredentialFiles;
  node: string;
  policy: { namespace: string; name: string };
  batchMaxRecords: number;
  batchMaxBytes: number;
  maxInFlight: number;
  ackTimeoutMs: number;
  spool: SpoolSettings;
  /** How long the first connection may take before the exporter gives up. */
  connectTimeoutMs: number;
  /** The client name the server shows. */
  clientName: string;
  /** How long start-up waits for a JetStream cluster to elect a stream leader (default 60 s). */
  streamWaitMs?: number | undefined;
}

export function exportSettings(config: AgentConfig, node: string): ExportSettings {
  const x = config.export;
  const p = x.publish ?? {};
  const s = x.spool ?? {};
  const c = x.createStream;
  return {
    servers: x.servers,
    stream: x.stream,
    subjects: nodeSubjects(x.subjects, node),
    create: c && {
      subjects: c.subjects,
      maxAgeSeconds: c.maxAgeSeconds,
      maxBytes: c.maxBytes,
      replicas: c.replicas,
      duplicateWindowSeconds: c.duplicateWindowSeconds ?? EXPORT_DEFAULTS.duplicateWindowSeconds,
    },
    credentials: { credentialsFile: x.credentialsFile, auth: x.auth, tls: x.tls },
    node,
    policy: { namespace: config.policy.namespace, name: config.policy.name },
    batchMaxRecords: p.batchMaxRecords ?? EXPORT_DEFAULTS.batchMaxRecords,
    batchMaxBytes: p.batchMaxBytes ?? EXPORT_DEFAULTS.batchMaxBytes,
    maxInFlight: p.maxInFlight ?? EXPORT_DEFAULTS.maxInFlight,
    ackTimeoutMs: (p.ackTimeoutSeconds ?? EXPORT_DEFAULTS.ackTimeoutSeconds) * 1000,
    spool: {
      memoryBytes: s.memoryBytes ?? EXPORT_DEFAULTS.spoolMemoryBytes,
      dir: s.dir,
      diskBytes: s.dir === undefined ? 0 : (s.diskBytes ?? EXPORT_DEFAULTS.spoolDiskBytes),
      onFull: s.onFull ?? EXPORT_DEFAULTS.onFull,
    },
    connectTimeoutMs: 20_000,
    clientName: `tapline-agent/${config.policy.namespace}/${config.policy.name}/${node}`,
  };
}

/** Settings for the command line (`tapline analyze --nats`, `tapline capture`): no config file. */
export function commandLineExportSettings(o: {
  servers: string;
  stream: string;
  subjectPrefix: string;
  createStream: boolean;
  node: string;
  namespace?: string;
  policy?: string;
}): ExportSettings {
  const namespace = o.namespace ?? 'local';
  const policy = o.policy ?? 'analyze';
  return {
    servers: o.servers.split(','),
    stream: o.stream,
    subjects: nodeSubjects(policySubjects(o.subjectPrefix, namespace, policy), o.node),
    create: o.createStream
      ? { subjects: [`${o.subjectPrefix}.>`], maxAgeSeconds: 0, replicas: 1, duplicateWindowSeconds: EXPORT_DEFAULTS.duplicateWindowSeconds }
      : undefined,
    credentials: {},
    node: o.node,
    policy: { namespace, name: policy },
    batchMaxRecords: EXPORT_DEFAULTS.batchMaxRecords,
    batchMaxBytes: EXPORT_DEFAULTS.batchMaxBytes,
    maxInFlight: EXPORT_DEFAULTS.maxInFlight,
    ackTimeoutMs: EXPORT_DEFAULTS.ackTimeoutSeconds * 1000,
    spool: { memoryBytes: EXPORT_DEFAULTS.spoolMemoryBytes, diskBytes: 0, onFull: 'dropNewest' },
    connectTimeoutMs: 10_000,
    clientName: `tapline-cli/${o.node}`,
  };
}
