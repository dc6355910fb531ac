// Start-up rides through a JetStream leader election (a 3-server cluster, an R3 stream): the
// stream's leader and one more server are killed just before `tapline analyze --nats
// URL1,URL2,URL3` (or the agent) starts, so the stream has no leader and no quorum until they are
// back. The command waits (bounded, saying so on stderr / in its log) instead of failing with
// "cannot look up stream ...: timeout", and once the servers are back every record arrives once.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { jetstreamManager, RetentionPolicy, StorageType } from '@nats-io/jetstream';
import { nanos } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { packageRoot } from '../../agent/engine/binding.js';
import { isStreamSetupError } from '../../agent/export/errors.js';
import { Exporter } from '../../agent/export/exporter.js';
import { FlowBatchSchema } from '../../agent/export/payload-schemas.js';
import { writeCaptureFile } from '../gen/capture-writer.js';
import { diffRecords, expectFlows } from '../gen/flow-model.js';
import { LINKTYPE_ETHERNET } from '../gen/packets.js';
import { buildMixedCapture } from '../gen/scenarios.js';
import { NatsTestCluster } from '../nats/cluster.js';
import { NATS_BUILD_TIMEOUT_MS, freePort } from '../nats/server.js';
import { readStream } from '../nats/stream-reader.js';
import { agentConfig, writeConfig } from './support/agent-config.js';
import { capturingLogger, testSettings } from './support/export-settings.js';
import { AgentProcess } from './support/agent-process.js';

const WAITING = 'JetStream has no leader for the stream yet (an election in the cluster?); waiting';
const out = path.join(packageRoot(), 'test', '.out', 'agent');
const capture = buildMixedCapture(47);
const file = path.join(out, 'cluster-election.pcap');
let cluster: NatsTestCluster;
let work: string;

beforeAll(async () => {
  mkdirSync(out, { recursive: true });
  work = mkdtempSync(path.join(tmpdir(), 'tapline-election-'));
  writeCaptureFile(file, capture.frames, { precision: capture.precision, linktype: LINKTYPE_ETHERNET });
  cluster = await NatsTestCluster.start();
}, NATS_BUILD_TIMEOUT_MS);
afterAll(async () => {
  await cluster?.cleanup();
  if (work) rmSync(work, { recursive: true, force: true });
});

/** Kills the stream's leader and one follower: no leader, no quorum, until restored. */
async function loseQuorum(stream: string): Promise<number[]> {
  const leader = await cluster.leaderOf(stream);
  const other = (leader + 1) % 3;
  await Promise.all([cluster.kill(leader), cluster.kill(other)]);
  return [leader, other];
}

async function records(stream: string): Promise<{ records: unknown[]; msgIds: string[] }> {
  const msgs = await readStream(cluster.urls.join(','), stream);
  return {
    records: msgs.flatMap((m) => FlowBatchSchema.parse(m.json()).records),
    msgIds: msgs.map((m) => m.msgId ?? ''),
  };
}

describe('start-up through a JetStream leader election', () => {
  it('tapline analyze --nats URL1,URL2,URL3 waits for the R3 stream to get a leader, then delivers every record once', async () => {
    const nc = await cluster.connect();
    await (await jetstreamManager(nc)).streams.add({
      name: 'TLB11', subjects: ['tapline.>'], storage: StorageType.File, retention: RetentionPolicy.Limits, num_replicas: 3, duplicate_window: nanos(120_000),
    });
    await nc.close();
    await cluster.waitForStreamLeader('TLB11');
    const killed = await loseQuorum('TLB11');

    const child = spawn(process.execPath, [path.join(packageRoot(), 'bin', 'tapline.js'), 'analyze', file, '--nats', cluster.urls.join(','), '--stream', 'TLB11'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = new Promise<number | null>((r) => child.on('close', r));
    // it says it waits (and does not exit meanwhile)
    const deadline = Date.now() + 30_000;
    while (!stderr.includes(WAITING) && Date.now() < deadline && child.exitCode === null) await new Promise((r) => setTimeout(r, 100));
    expect(stderr, stderr).toContain(WAITING);
    expect(child.exitCode).toBeNull();
    await Promise.all(killed.map((i) => cluster.start(i)));

    expect(await code, stderr).toBe(0);
    // the timeouts were waited out (each try's error is in its warning), not the command's end
    expect(stderr).not.toMatch(/^tapline analyze: cannot look up stream/m);
    const got = await records('TLB11');
    expect(new Set(got.msgIds).size).toBe(got.msgIds.length);
    expect(diffRecords(got.records as never, expectFlows(capture))).toEqual([]);
  }, 120_000);

  it('the agent creating an R3 stream waits out a cluster with no quorum, logs that it waits, and delivers every record once', async () => {
    // no stream yet, and no meta leader: creating it needs the cluster back
    const killed = [0, 1];
    await Promise.all(killed.map((i) => cluster.kill(i)));

    const port = await freePort();
    const config = agentConfig(cluster.urls[0]!, file, port);
    config.export.servers = cluster.urls;
    config.export.stream = 'AGENTR3';
    config.export.subjects = { flows: 'agent.test-ns.test-policy.flows', alerts: 'agent.test-ns.test-policy.alerts' };
    config.export.createStream = { subjects: ['agent.>'], maxAgeSeconds: 3600, replicas: 3, duplicateWindowSeconds: 600 };
    const agent = new AgentProcess(['--config', writeConfig(path.join(work, 'agent.json'), config)]);
    try {
      const waiting = await agent.waitForLog((l) => l.msg === WAITING, 30_000);
      expect(waiting).toMatchObject({ stream: 'AGENTR3', waitLimitMs: 60_000 });
      await Promise.all(killed.map((i) => cluster.start(i)));
      const code = await agent.exited;
      expect(code, agent.stdout.slice(-3000) + agent.stderr).toBe(0);
      await agent.waitForLog((l) => l.msg === 'stream available after a leader election', 1000);
      const info = await cluster.waitForStreamLeader('AGENTR3');
      expect(info.config.num_replicas).toBe(3);
      const got = await records('AGENTR3');
      expect(new Set(got.msgIds).size).toBe(got.msgIds.length);
      expect(diffRecords(got.records as never, expectFlows(capture))).toEqual([]);
    } finally {
      agent.kill('SIGKILL');
    }
  }, 120_000);

  it('the wait is bounded: with no leader past streamWaitMs, start-up fails naming the wait', async () => {
    const killed = [1, 2];
    await Promise.all(killed.map((i) => cluster.kill(i)));
    try {
      const { log, lines } = capturingLogger('warn');
      const started = Date.now();
      const err = await Exporter.open(testSettings(cluster.urls[0]!, { servers: cluster.urls, stream: 'TLB11', create: undefined, streamWaitMs: 8000 }), log).then(
        (x) => x.close().then(() => undefined),
        (e: unknown) => e,
      );
      const took = Date.now() - started;
      expect(isStreamSetupError(err), String(err)).toBe(true);
      expect((err as Error).message).toMatch(/^cannot (look up stream TLB11|use JetStream): .*\(after waiting \d+ s for a JetStream leader\)$/);
      expect(lines.filter((l) => l.includes('JetStream has no leader for the stream yet')).length).toBeGreaterThan(0);
      expect(took).toBeLessThan(8000 + 6000); // the bound plus at most one request's timeout
    } finally {
      await Promise.all(killed.map((i) => cluster.start(i)));
    }
  }, 60_000);
});
