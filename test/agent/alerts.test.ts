// Alerts end to end: the agent runs a capture with a SYN flood over normal traffic; the stream's
// alerts subject holds one attack (raised, updated while it lasts, resolved), each message an
// alert.v1 with node, policy and schema version, and no alert for the normal traffic.
import { mkdirSync } from 'node:fs';
import path from 'node:path';

import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { packageRoot } from '../../agent/engine/binding.js';
import { ALERT_SCHEMA } from '../../agent/export/alert-message.js';
import { AlertMessageSchema } from '../../agent/export/payload-schemas.js';
import { backgroundScenario, synFloodScenario } from '../gen/attacks.js';
import { writeCaptureFile } from '../gen/capture-writer.js';
import { LINKTYPE_ETHERNET } from '../gen/packets.js';
import { buildCapture, DEFAULT_START_SEC } from '../gen/scenario.js';
import { NATS_BUILD_TIMEOUT_MS, NatsTestServer, freePort } from '../nats/server.js';
import { readStream } from '../nats/stream-reader.js';
import { agentConfig, writeConfig } from './support/agent-config.js';
import { runAgentToEnd } from './support/agent-process.js';

const out = path.join(packageRoot(), 'test', '.out', 'agent');
let nats: NatsTestServer;
beforeAll(async () => {
  mkdirSync(out, { recursive: true });
  nats = await NatsTestServer.start();
}, NATS_BUILD_TIMEOUT_MS);
afterAll(async () => nats?.cleanup());

async function alertsIn(name: string, scenarios: Parameters<typeof buildCapture>[0]) {
  const nc = await connect({ servers: nats.url });
  await (await jetstreamManager(nc)).streams.delete('TAPLINE').catch(() => undefined);
  await nc.close();
  const capture = buildCapture(scenarios);
  const file = path.join(out, name);
  writeCaptureFile(file, capture.frames, { precision: capture.precision, linktype: LINKTYPE_ETHERNET });
  const config = agentConfig(nats.url, file, await freePort());
  config.detectors = {
    volumetric: { enabled: true, packetsPerSecond: 5000, windowSeconds: 1 },
    synFlood: { enabled: true, synsPerSecond: 1000, halfOpenPercent: 80, windowSeconds: 1 },
    portScan: { enabled: true, distinctPorts: 100, windowSeconds: 2 },
    heavyHitters: { enabled: false, topK: 3, intervalSeconds: 5 },
    cooldownSeconds: 2,
  };
  const { code, proc } = await runAgentToEnd(['--config', writeConfig(path.join(out, `${name}.json`), config)]);
  expect(code, proc.stdout.slice(-2000) + proc.stderr).toBe(0);
  const msgs = (await readStream(nats.url, 'TAPLINE')).filter((m) => m.subject === 'tapline.test-ns.test-policy.alerts.node-a');
  for (const m of msgs) expect(m.headers['Tapline-Schema']).toBe(ALERT_SCHEMA);
  expect(new Set(msgs.map((m) => m.msgId)).size).toBe(msgs.length);
  return msgs.map((m) => AlertMessageSchema.parse(m.json()));
}

describe('alerts', () => {
  it('a SYN flood is one alert, raised, updated and resolved, published with node and policy', async () => {
    const alerts = await alertsIn('alerts-syn.pcap', [
      backgroundScenario({ rate: 150, from: 0, to: 12, seed: 1 }),
      synFloodScenario({ victim: '10.9.9.9', rate: 3000, from: 3, to: 7 }),
    ]);
    expect(alerts.length).toBeGreaterThanOrEqual(2);
    expect(new Set(alerts.map((a) => a.id)).size).toBe(1);
    expect(alerts[0]).toMatchObject({ schema: ALERT_SCHEMA, node: 'node-a', policy: { namespace: 'test-ns', name: 'test-policy' }, type: 'syn_flood', state: 'raised', key: { dst: '10.9.9.9' }, threshold: 1000, windowMs: 1000 });
    expect(alerts.at(-1)?.state).toBe('resolved');
    expect(alerts.slice(1, -1).every((a) => a.state === 'updated')).toBe(true);
    expect(alerts[0]?.firstSeen).toBe(new Date((DEFAULT_START_SEC + 3) * 1000).toISOString());
    expect(alerts.map((a) => a.seq)).toEqual(alerts.map((_, i) => i));
  });

  it('normal traffic raises nothing', async () => {
    expect(await alertsIn('alerts-quiet.pcap', [backgroundScenario({ rate: 150, from: 0, to: 12, seed: 2 })])).toEqual([]);
  });
});
