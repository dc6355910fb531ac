// Exporter settings and loggers for tests against a NatsTestServer.
import { Writable } from 'node:stream';

import { pino, type Logger } from 'pino';

import { EXPORT_DEFAULTS, type ExportSettings } from '../../../agent/export/options.js';
import { nodeSubjects, policySubjects } from '../../../agent/export/subjects.js';

export function testSettings(url: string, overrides: Partial<ExportSettings> = {}): ExportSettings {
  const base = policySubjects('tapline', 'test-ns', 'test-policy');
  const node = overrides.node ?? 'node-a';
  return {
    servers: [url],
    stream: 'TAPLINE',
    subjects: nodeSubjects(base, node),
    create: { subjects: ['tapline.>'], maxAgeSeconds: 3600, replicas: 1, duplicateWindowSeconds: 600 },
    credentials: {},
    node,
    policy: { namespace: 'test-ns', name: 'test-policy' },
    batchMaxRecords: EXPORT_DEFAULTS.batchMaxRecords,
    batchMaxBytes: EXPORT_DEFAULTS.batchMaxBytes,
    maxInFlight: EXPORT_DEFAULTS.maxInFlight,
    ackTimeoutMs: 2000,
    spool: { memoryBytes: 64 * 1024 * 1024, diskBytes: 0, onFull: 'dropOldest' },
    connectTimeoutMs: 5000,
    clientName: 'tapline-test',
    ...overrides,
  };
}

/** A logger whose lines are kept (JSON strings), for tests that read what was logged. */
export function capturingLogger(level: pino.Level = 'debug'): { log: Logger; lines: string[] } {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      cb();
    },
  });
  return { log: pino({ level }, sink), lines };
}
