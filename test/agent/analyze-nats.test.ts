// `tapline analyze FILE --nats URL`: the records go to JetStream as the agent publishes them
// (node `local` unless --node), exit 1 when any record is not delivered or NATS cannot be used.
import { mkdirSync } from 'node:fs';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { packageRoot } from '../../agent/engine/binding.js';
import { FlowBatchSchema } from '../../agent/export/payload-schemas.js';
import { writeCaptureFile } from '../gen/capture-writer.js';
import { diffRecords, expectFlows } from '../gen/flow-model.js';
import { LINKTYPE_ETHERNET } from '../gen/packets.js';
import { buildMixedCapture } from '../gen/scenarios.js';
import { NATS_BUILD_TIMEOUT_MS, NatsTestServer, freePort } from '../nats/server.js';
import { readStream } from '../nats/stream-reader.js';
import { tapline } from '../support/cli.js';

const out = path.join(packageRoot(), 'test', '.out', 'agent');
const capture = buildMixedCapture(31);
const file = path.join(out, 'analyze-nats.pcap');
let nats: NatsTestServer;
beforeAll(async () => {
  mkdirSync(out, { recursive: true });
  writeCaptureFile(file, capture.frames, { precision: capture.precision, linktype: LINKTYPE_ETHERNET });
  nats = await NatsTestServer.start();
}, NATS_BUILD_TIMEOUT_MS);
afterAll(async () => nats?.cleanup());

describe('tapline analyze --nats', () => {
  it('publishes every record to the stream, as node local', async () => {
    const r = await tapline(['analyze', file, '--nats', nats.url, '--stream', 'CLI', '--create-stream', '--workers', '2']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('');
    const msgs = await readStream(nats.url, 'CLI');
    expect(new Set(msgs.map((m) => m.subject))).toEqual(new Set(['tapline.local.analyze.flows.local']));
    const batches = msgs.map((m) => FlowBatchSchema.parse(m.json()));
    expect(batches.every((b) => b.node === 'local')).toBe(true);
    const records = batches.flatMap((b) => b.records);
    expect(diffRecords(records, expectFlows(capture))).toEqual([]);
    expect(r.stderr).toContain(`published ${records.length} records in ${msgs.length} messages to stream CLI (tapline.local.analyze.flows.local)`);
  });

  it('--node and --subject-prefix name the subject', async () => {
    const r = await tapline(['analyze', file, '--nats', nats.url, '--stream', 'CLI2', '--create-stream', '--subject-prefix', 'lab.flows', '--node', 'laptop.1']);
    expect(r.code, r.stderr).toBe(0);
    const msgs = await readStream(nats.url, 'CLI2');
    expect(new Set(msgs.map((m) => m.subject))).toEqual(new Set(['lab.flows.local.analyze.flows.laptop_1']));
  });

  it('exits 1 when the stream is missing and may not be created, or no server answers', async () => {
    const missing = await tapline(['analyze', file, '--nats', nats.url, '--stream', 'ABSENT']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/tapline analyze: stream ABSENT does not exist and creating it is not allowed/);
    const port = await freePort();
    const away = await tapline(['analyze', file, '--nats', `nats://127.0.0.1:${port}`, '--create-stream']);
    expect(away.code).toBe(1);
    expect(away.stderr).toContain(`cannot connect to NATS (nats://127.0.0.1:${port})`);
  });

  it('exits 2 for bad NATS flags, naming the flag', async () => {
    expect((await tapline(['analyze', file, '--stream', 'X'])).stderr).toMatch(/--stream: only with --nats/);
    const bad = await tapline(['analyze', file, '--nats', 'http://x:4222']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--nats: must be a URL like nats:\/\/host:4222/);
    const creds = await tapline(['analyze', file, '--nats', 'nats://u:secret@x:4222']);
    expect(creds.code).toBe(2);
    expect(creds.stderr).toMatch(/--nats: credentials in the URL are not accepted/);
  });
});
