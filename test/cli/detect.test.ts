// `tapline analyze --detect`: the native detectors with a SnifferPolicy's default thresholds on a
// generated capture (a SYN flood over normal traffic): one line per alert event on stderr, the
// count in the summary, and with --nats the alerts in the stream beside the flow records, as the
// agent publishes them (alert.v1, node `local`, policy local/analyze).
import { mkdirSync } from 'node:fs';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { packageRoot } from '../../agent/engine/binding.js';
import { ALERT_SCHEMA } from '../../agent/export/alert-message.js';
import { AlertMessageSchema, FlowBatchSchema } from '../../agent/export/payload-schemas.js';
import { DetectorsSchema } from '../../operator/api/detectors.js';
import { backgroundScenario, synFloodScenario } from '../gen/attacks.js';
import { writeCaptureFile } from '../gen/capture-writer.js';
import { diffRecords, expectFlows } from '../gen/flow-model.js';
import { LINKTYPE_ETHERNET } from '../gen/packets.js';
import { buildCapture, DEFAULT_START_SEC, type Capture } from '../gen/scenario.js';
import { NATS_BUILD_TIMEOUT_MS, NatsTestServer } from '../nats/server.js';
import { readStream } from '../nats/stream-reader.js';
import { tapline } from '../support/cli.js';

const out = path.join(packageRoot(), 'test', '.out', 'cli');
const policy = DetectorsSchema.parse({}); // what a SnifferPolicy without thresholds gets
const n = (x: number) => x.toLocaleString('en-US');

function write(name: string, capture: Capture): string {
  const file = path.join(out, name);
  writeCaptureFile(file, capture.frames, { precision: capture.precision, linktype: LINKTYPE_ETHERNET });
  return file;
}

const alertLines = (stderr: string) => stderr.split('\n').filter((l) => l.startsWith('alert '));

// Windows are aligned to their length on the packet clock (the capture starts on a multiple of
// 10 s): the flood fills the default window [10 s, 20 s) at 1.2x the default SYN rate.
const floodRate = Math.round(policy.synFlood.synsPerSecond * 1.2);
const flood = buildCapture([
  backgroundScenario({ rate: 60, from: 0, to: 25, seed: 1 }),
  synFloodScenario({ victim: '10.9.9.9', rate: floodRate, from: policy.synFlood.windowSeconds, to: 2 * policy.synFlood.windowSeconds }),
]);
let floodFile: string;
beforeAll(() => {
  mkdirSync(out, { recursive: true });
  floodFile = write('detect-syn-flood.pcap', flood);
});

describe('tapline analyze --detect', () => {
  it('a SYN flood at the policy default thresholds: one raised and one resolved alert on stderr, counted in the summary', async () => {
    expect(policy.synFlood.enabled).toBe(false); // the CLI turns on what a policy leaves off
    const r = await tapline(['analyze', floodFile, '--detect']);
    expect(r.code, r.stderr).toBe(0);
    const lines = alertLines(r.stderr);
    expect(lines, r.stderr).toHaveLength(2);
    const head = `syn_flood %s dst 10.9.9.9: syns_per_second ([0-9,.]+) \\(threshold ${n(policy.synFlood.synsPerSecond)}\\) over ${policy.synFlood.windowSeconds} s, `;
    const raised = new RegExp(`^alert ${head.replace('%s', 'raised')}`).exec(lines[0] ?? '');
    expect(raised, lines[0]).not.toBeNull();
    expect(Number(raised?.[1]?.replace(/,/g, ''))).toBeGreaterThanOrEqual(floodRate);
    expect(lines[0]).toContain(`, ${new Date((DEFAULT_START_SEC + policy.synFlood.windowSeconds) * 1000).toISOString()}..`);
    expect(lines[1]).toMatch(new RegExp(`^alert ${head.replace('%s', 'resolved')}`));
    expect(r.stderr).toMatch(/\n {2}alerts {6}2 \(raised 1, updated 0, resolved 1\)\n/);
    // The records still go to stdout: every spoofed SYN is a flow of its own.
    expect(r.stdout.split('\n').filter((l) => l !== '').length).toBeGreaterThan(floodRate * policy.synFlood.windowSeconds);
  });

  it('--syn-flood-rate above the flood: no alert', async () => {
    const r = await tapline(['analyze', floodFile, '--detect', '--syn-flood-rate', String(floodRate * 2)]);
    expect(r.code, r.stderr).toBe(0);
    expect(alertLines(r.stderr)).toEqual([]);
    expect(r.stderr).toMatch(/\n {2}alerts {6}0 \(raised 0, updated 0, resolved 0\)\n/);
  });

  it('without --detect: no detectors, no alerts line', async () => {
    const r = await tapline(['analyze', floodFile]);
    expect(r.code, r.stderr).toBe(0);
    expect(alertLines(r.stderr)).toEqual([]);
    expect(r.stderr).not.toMatch(/\n {2}alerts /);
  });
});

describe('tapline analyze --nats --detect', () => {
  let nats: NatsTestServer;
  beforeAll(async () => {
    nats = await NatsTestServer.start();
  }, NATS_BUILD_TIMEOUT_MS);
  afterAll(async () => nats?.cleanup());

  it('stores every flow record and the alerts (alert.v1, node local) in the stream', async () => {
    // A smaller flood, with the threshold lowered to match (the override reaches the engine).
    const capture = buildCapture([
      backgroundScenario({ rate: 40, from: 0, to: 25, seed: 3 }),
      synFloodScenario({ victim: '10.8.8.8', rate: 1500, from: 10, to: 20, seed: 5 }),
    ]);
    const file = write('detect-nats.pcap', capture);
    const r = await tapline(['analyze', file, '--nats', nats.url, '--stream', 'DETECT', '--create-stream', '--detect', '--syn-flood-rate', '1000', '--workers', '2']);
    expect(r.code, r.stderr).toBe(0);
    expect(alertLines(r.stderr)).toHaveLength(2);
    const msgs = await readStream(nats.url, 'DETECT');
    const flows = msgs.filter((m) => m.subject === 'tapline.local.analyze.flows.local');
    const alerts = msgs.filter((m) => m.subject === 'tapline.local.analyze.alerts.local');
    expect(flows.length + alerts.length).toBe(msgs.length);
    const records = flows.map((m) => FlowBatchSchema.parse(m.json())).flatMap((b) => b.records);
    expect(diffRecords(records, expectFlows(capture))).toEqual([]);
    for (const m of alerts) expect(m.headers['Tapline-Schema']).toBe(ALERT_SCHEMA);
    const parsed = alerts.map((m) => AlertMessageSchema.parse(m.json()));
    expect(parsed.map((a) => a.state)).toEqual(['raised', 'resolved']);
    expect(new Set(parsed.map((a) => a.id)).size).toBe(1);
    expect(parsed[0]).toMatchObject({
      schema: ALERT_SCHEMA, node: 'local', policy: { namespace: 'local', name: 'analyze' }, type: 'syn_flood', key: { dst: '10.8.8.8' },
      threshold: 1000, windowMs: policy.synFlood.windowSeconds * 1000,
    });
    expect(r.stderr).toContain(`published ${records.length} records in ${flows.length} messages to stream DETECT (tapline.local.analyze.flows.local)`);
    expect(r.stderr).toContain('published 2 alerts to stream DETECT (tapline.local.analyze.alerts.local)');
  });
});
