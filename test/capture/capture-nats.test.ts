// `tapline capture --nats`: a live AF_PACKET capture on a veth pair in a test namespace publishes
// its records to JetStream as the agent does (node `local` unless --node, policy local/capture);
// the stream then holds exactly the records the generator's flow model gives for the replayed
// traffic. The capture reaches the NATS server through a second veth pair (linkToHost), so its own
// NATS traffic never crosses the captured interface.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import path from 'node:path';

import { AlertMessageSchema, FlowBatchSchema } from '../../agent/export/payload-schemas.js';
import { portScanScenario } from '../gen/attacks.js';
import { writeCaptureFile } from '../gen/capture-writer.js';
import { LINKTYPE_ETHERNET } from '../gen/packets.js';
import { buildCapture } from '../gen/scenario.js';
import { NATS_BUILD_TIMEOUT_MS, NatsTestServer } from '../nats/server.js';
import { readStream, streamMessageCount } from '../nats/stream-reader.js';
import type { FlowRecordJson } from '../gen/flow-model.js';
import { buildLiveCapture, diffIgnoringTime, liveSkipReason, outDir, runCapture, summaryNumber, TestNetns, type LiveCapture } from './live-support.js';

describe.skipIf(liveSkipReason !== null)('tapline capture --nats on a veth pair', () => {
  const netns = new TestNetns('cnats');
  let traffic: LiveCapture;
  let nats: NatsTestServer;

  beforeAll(async () => {
    netns.create();
    const host = netns.linkToHost();
    traffic = buildLiveCapture('capture-nats', 23, { extraFlows: 40 });
    nats = await NatsTestServer.start({ host });
  }, NATS_BUILD_TIMEOUT_MS);
  afterAll(async () => {
    await nats?.cleanup();
    netns.destroy();
  });

  it.each([1, 2])('the stream holds exactly the expected records (%i worker(s)), stdout stays empty', async (workers) => {
    // Streams may not share subjects: each run its own prefix.
    const stream = `LIVE${workers}`;
    const prefix = `w${workers}`;
    const run = await runCapture(
      ['--backend', 'afpacket', '--iface', 'vrx', '--workers', String(workers), '--duration', '3', '--nats', nats.url, '--stream', stream, '--create-stream', '--subject-prefix', prefix],
      { netns, during: () => netns.replay(traffic.file) },
    );
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toBe('');
    const msgs = await readStream(nats.url, stream);
    expect(new Set(msgs.map((m) => m.subject))).toEqual(new Set([`${prefix}.local.capture.flows.local`]));
    const batches = msgs.map((m) => FlowBatchSchema.parse(m.json()));
    expect(batches.every((b) => b.node === 'local' && b.policy.name === 'capture')).toBe(true);
    const records = batches.flatMap((b) => b.records) as FlowRecordJson[];
    expect(traffic.expected.length).toBeGreaterThan(50);
    expect(diffIgnoringTime(records, traffic.expected)).toEqual([]);
    expect(summaryNumber(run.stderr, 'capture +received')).toBe(traffic.frames);
    expect(run.stderr).toContain(`published ${records.length} records in ${msgs.length} messages to stream ${stream} (${prefix}.local.capture.flows.local)`);
  });

  it('--node names the subject; a missing stream that may not be created fails before capturing', async () => {
    const missing = await runCapture(['--backend', 'afpacket', '--iface', 'vrx', '--duration', '1', '--nats', nats.url, '--stream', 'ABSENT'], { netns });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/tapline capture: stream ABSENT does not exist and creating it is not allowed/);
    expect(missing.stderr).not.toContain('listening');

    const run = await runCapture(['--backend', 'afpacket', '--iface', 'vrx', '--duration', '2', '--nats', nats.url, '--stream', 'NODE', '--create-stream', '--node', 'edge-1'], {
      netns,
      during: () => netns.replay(traffic.file),
    });
    expect(run.code, run.stderr).toBe(0);
    expect(await streamMessageCount(nats.url, 'NODE')).toBeGreaterThan(0);
    expect(new Set((await readStream(nats.url, 'NODE')).map((m) => m.subject))).toEqual(new Set(['tapline.local.capture.flows.edge-1']));
  });

  it('--detect: a port scan on the wire is one alert, on stderr and in the stream', async () => {
    // 150 ports in well under a second: above the policy default (100 distinct ports in 60 s).
    const scan = buildCapture([portScanScenario({ scanner: '10.66.0.7', target: '10.66.0.9', ports: 150, rate: 2000, from: 0 })]);
    const file = path.join(outDir, 'capture-nats-scan.pcap');
    writeCaptureFile(file, scan.frames, { precision: scan.precision, linktype: LINKTYPE_ETHERNET });
    const run = await runCapture(['--backend', 'afpacket', '--iface', 'vrx', '--duration', '3', '--nats', nats.url, '--stream', 'SCAN', '--create-stream', '--subject-prefix', 'scan', '--detect'], {
      netns,
      during: () => netns.replay(file),
    });
    expect(run.code, run.stderr).toBe(0);
    const lines = run.stderr.split('\n').filter((l) => l.startsWith('alert '));
    expect(lines.map((l) => l.split(' ').slice(1, 5).join(' '))).toEqual(['port_scan raised src 10.66.0.7:', 'port_scan resolved src 10.66.0.7:']);
    const alerts = (await readStream(nats.url, 'SCAN')).filter((m) => m.subject === 'scan.local.capture.alerts.local').map((m) => AlertMessageSchema.parse(m.json()));
    expect(alerts.map((a) => [a.type, a.state, a.key.src, a.node, a.policy.name])).toEqual([
      ['port_scan', 'raised', '10.66.0.7', 'local', 'capture'],
      ['port_scan', 'resolved', '10.66.0.7', 'local', 'capture'],
    ]);
    expect(run.stderr).toContain('published 2 alerts to stream SCAN (scan.local.capture.alerts.local)');
  });
});
