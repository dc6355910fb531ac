// The exporter against a real nats-server: a generated capture through the engine into the
// stream, read back by a consumer and compared flow by flow with the generator's answer; message
// bounds, ids and headers; the server's de-duplication of a resend; the stream check.
import { mkdirSync } from 'node:fs';
import path from 'node:path';

import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { Engine } from '../../agent/engine/engine.js';
import { packageRoot } from '../../agent/engine/binding.js';
import { isStreamMissingError, isStreamSubjectsError } from '../../agent/export/errors.js';
import { Exporter } from '../../agent/export/exporter.js';
import { FLOW_BATCH_SCHEMA } from '../../agent/export/flow-batch.js';
import { FlowBatchSchema } from '../../agent/export/payload-schemas.js';
import { writeCaptureFile } from '../gen/capture-writer.js';
import { diffRecords, expectFlows } from '../gen/flow-model.js';
import { LINKTYPE_ETHERNET } from '../gen/packets.js';
import { buildMixedCapture } from '../gen/scenarios.js';
import { NATS_BUILD_TIMEOUT_MS, NatsTestServer } from '../nats/server.js';
import { readStream } from '../nats/stream-reader.js';
import { capturingLogger, testSettings } from './support/export-settings.js';

const out = path.join(packageRoot(), 'test', '.out', 'agent');
let nats: NatsTestServer;

beforeAll(async () => {
  mkdirSync(out, { recursive: true });
  nats = await NatsTestServer.start();
}, NATS_BUILD_TIMEOUT_MS);
afterAll(async () => nats?.cleanup());

async function deleteStream(name = 'TAPLINE'): Promise<void> {
  const nc = await connect({ servers: nats.url });
  const jsm = await jetstreamManager(nc);
  await jsm.streams.delete(name).catch(() => undefined);
  await nc.close();
}

describe('exporter', () => {
  it('a generated capture reaches the stream: every record once, per-flow totals equal the expected answer', async () => {
    await deleteStream();
    const capture = buildMixedCapture(11);
    const file = path.join(out, 'export-mixed.pcap');
    writeCaptureFile(file, capture.frames, { precision: capture.precision, linktype: LINKTYPE_ETHERNET });
    const { log } = capturingLogger('warn');
    // small messages so that the capture spans many of them
    const x = await Exporter.open(testSettings(nats.url, { batchMaxRecords: 7, batchMaxBytes: 4096 }), log);
    const engine = await Engine.open({ workers: 2, maxFlows: 1 << 14, source: { kind: 'file', path: file } });
    engine.start();
    for await (const b of engine.batches('jsonl', { maxRecords: 50 })) x.publishFlows(b.data);
    await engine.close();
    const flushed = await x.flush(20_000);
    await x.close();
    expect(flushed).toEqual({ delivered: true, pendingMessages: 0, pendingRecords: 0 });

    const msgs = await readStream(nats.url, 'TAPLINE');
    const batches = msgs.map((m) => FlowBatchSchema.parse(m.json()));
    const records = batches.flatMap((b) => b.records);
    expect(diffRecords(records, expectFlows(capture))).toEqual([]);
    expect(x.stats().publishedRecords.flows).toBe(records.length);
    // bounded messages, one id per place in the output, the schema on every message
    for (const [i, m] of msgs.entries()) {
      expect(m.subject).toBe('tapline.test-ns.test-policy.flows.node-a');
      expect(m.data.length).toBeLessThanOrEqual(4096);
      expect(batches[i]!.records.length).toBeLessThanOrEqual(7);
      expect(m.headers['Tapline-Schema']).toBe(FLOW_BATCH_SCHEMA);
      expect(m.headers['Tapline-Records']).toBe(String(batches[i]!.count));
      expect(m.msgId).toBe(`node-a:${x.bootId}:flows:${batches[i]!.seq}`);
    }
    expect(new Set(batches.map((b) => b.seq))).toEqual(new Set(batches.map((_, i) => i)));
  });

  it('a resend of a message with the same Nats-Msg-Id is stored once', async () => {
    await deleteStream();
    const { log } = capturingLogger('warn');
    const settings = testSettings(nats.url);
    const line = Buffer.from(
      '{"srcAddr":"10.0.0.1","dstAddr":"10.0.0.2","srcPort":1,"dstPort":2,"proto":6,"ipVersion":4,"vlan":null,"packets":1,"bytes":40,"revPackets":0,"revBytes":0,"tcpFlags":2,"revTcpFlags":0,"start":"2024-01-01T00:00:00Z","end":"2024-01-01T00:00:00Z","endReason":"idle","communityId":"1:AAAAAAAAAAAAAAAAAAAAAAAAAAA="}\n',
    );
    const x = await Exporter.open(settings, log);
    x.publishFlows(line);
    expect((await x.flush(10_000)).delivered).toBe(true);
    // the same boot id and sequence again, as after a reconnect
    const msgs1 = await readStream(nats.url, 'TAPLINE');
    const nc = await connect({ servers: nats.url });
    const { jetstream } = await import('@nats-io/jetstream');
    const ack = await jetstream(nc).publish(msgs1[0]!.subject, msgs1[0]!.data, { msgID: msgs1[0]!.msgId! });
    await nc.close();
    await x.close();
    expect(ack.duplicate).toBe(true);
    expect(await readStream(nats.url, 'TAPLINE')).toHaveLength(1);
  });

  it('refuses a missing stream when creating is not allowed, and a stream that does not capture the subjects', async () => {
    await deleteStream('OTHER');
    const { log } = capturingLogger('warn');
    const missing = await Exporter.open(testSettings(nats.url, { stream: 'OTHER', create: undefined }), log).catch((e: unknown) => e);
    expect(isStreamMissingError(missing)).toBe(true);
    expect((missing as Error).message).toMatch(/stream OTHER does not exist and creating it is not allowed/);

    const nc = await connect({ servers: nats.url });
    await (await jetstreamManager(nc)).streams.add({ name: 'OTHER', subjects: ['elsewhere.>'] });
    await nc.close();
    const uncovered = await Exporter.open(testSettings(nats.url, { stream: 'OTHER' }), log).catch((e: unknown) => e);
    expect(isStreamSubjectsError(uncovered)).toBe(true);
    expect((uncovered as Error).message).toMatch(/does not capture tapline\.test-ns\.test-policy\.flows\.node-a and tapline\.test-ns\.test-policy\.alerts\.node-a/);
  });

  it('creates the stream with file storage, the limits and the duplicate window', async () => {
    await deleteStream();
    const { log } = capturingLogger('warn');
    const x = await Exporter.open(
      testSettings(nats.url, { create: { subjects: ['tapline.>'], maxAgeSeconds: 7200, maxBytes: 1 << 30, replicas: 1, duplicateWindowSeconds: 300 } }),
      log,
    );
    await x.close();
    expect(x.stream.created).toBe(true);
    const nc = await connect({ servers: nats.url });
    const info = await (await jetstreamManager(nc)).streams.info('TAPLINE');
    await nc.close();
    expect(info.config).toMatchObject({ storage: 'file', subjects: ['tapline.>'], max_bytes: 1 << 30, num_replicas: 1 });
    expect(info.config.max_age).toBe(7200 * 1e9);
    expect(info.config.duplicate_window).toBe(300 * 1e9);
  });
});
