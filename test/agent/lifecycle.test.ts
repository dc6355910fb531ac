// The agent as a child process against a real nats-server:
// - a capture file to the end: the stream holds exactly the generator's expected records;
// - NATS stopped mid-run and started again: every record arrives exactly once, and /metrics shows
//   the spool filling (memory, then disk) and draining;
// - SIGTERM mid-run: every live flow arrives with end reason "shutdown", exit 0 in the grace period.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';

import { packageRoot } from '../../agent/engine/binding.js';
import type { FlowRecord } from '../../agent/engine/flow-record.js';
import { FlowBatchSchema, type FlowBatch } from '../../agent/export/payload-schemas.js';
import { writeBenchMix } from '../gen/bench.js';
import { writeCaptureFile } from '../gen/capture-writer.js';
import { diffRecords, expectFlows } from '../gen/flow-model.js';
import { LINKTYPE_ETHERNET } from '../gen/packets.js';
import { buildMixedCapture } from '../gen/scenarios.js';
import { NATS_BUILD_TIMEOUT_MS, NatsTestServer, freePort } from '../nats/server.js';
import { readStream } from '../nats/stream-reader.js';
import { agentConfig, writeConfig } from './support/agent-config.js';
import { AgentProcess, metric, runAgentToEnd, scrape, type LogLine } from './support/agent-process.js';

const out = path.join(packageRoot(), 'test', '.out', 'agent');
let nats: NatsTestServer;
let longCapture: string;
let bigCapture: string;
let spoolDir: string;

beforeAll(async () => {
  mkdirSync(out, { recursive: true });
  nats = await NatsTestServer.start();
  longCapture = path.join(out, 'lifecycle-mix.pcap');
  // 5000 flows over 20 s of capture time, replayed in a loop: a run that lasts until stopped
  writeBenchMix(longCapture, { packets: 100_000, concurrentFlows: 2000, rate: 5000, seed: 3 });
  // ~150k short flows read once from disk, for SIGTERM
  bigCapture = path.join(out, 'lifecycle-big.pcap');
  writeBenchMix(bigCapture, { packets: 600_000, concurrentFlows: 2000, meanFlowPackets: 4, rate: 20_000, snaplen: 74, seed: 4 });
}, NATS_BUILD_TIMEOUT_MS);
afterAll(async () => nats?.cleanup());
beforeEach(async () => {
  const nc = await connect({ servers: nats.url });
  await (await jetstreamManager(nc)).streams.delete('TAPLINE').catch(() => undefined);
  await nc.close();
  spoolDir = mkdtempSync(path.join(tmpdir(), 'tapline-agent-spool-'));
  return () => rmSync(spoolDir, { recursive: true, force: true });
});

async function batches(): Promise<{ batches: FlowBatch[]; msgIds: string[] }> {
  const msgs = await readStream(nats.url, 'TAPLINE');
  return { batches: msgs.map((m) => FlowBatchSchema.parse(m.json())), msgIds: msgs.map((m) => m.msgId ?? '') };
}

const stopped = (l: LogLine) => /^agent stopped/.test(l.msg);

/**
 * Exactly once: ids unique and contiguous, no record twice, counts and totals equal the engine's
 * own; packet totals exact also after a stop (every packet counted into a flow is in one record).
 */
function expectExactlyOnce(got: { batches: FlowBatch[]; msgIds: string[] }, summary: LogLine): FlowRecord[] {
  const { batches: bs, msgIds } = got;
  expect(new Set(msgIds).size).toBe(msgIds.length);
  const seqs = bs.map((b) => b.seq).sort((a, b) => a - b);
  expect(seqs).toEqual(seqs.map((_, i) => i));
  expect(new Set(bs.map((b) => b.bootId)).size).toBe(1);
  const records = bs.flatMap((b) => b.records);
  expect(new Set(records.map((r) => JSON.stringify(r))).size).toBe(records.length);
  expect(records.length).toBe(Number(summary.flowsExported));
  const packets = records.reduce((n, r) => n + r.packets + r.revPackets, 0);
  expect(packets).toBe(Number(summary.flowPackets));
  expect(summary.ringDrops).toBe('0');
  expect(summary.recordsDropped).toBe(0);
  return records;
}

describe('agent process', () => {
  it('runs a capture file to the end: the stream holds exactly the expected records, exit 0', async () => {
    const capture = buildMixedCapture(21);
    const file = path.join(out, 'lifecycle-exact.pcap');
    writeCaptureFile(file, capture.frames, { precision: capture.precision, linktype: LINKTYPE_ETHERNET });
    const config = agentConfig(nats.url, file, await freePort());
    config.capture = { backend: 'file', path: file, workers: 2 };
    config.export.publish = { batchMaxRecords: 5 };
    const { code, proc } = await runAgentToEnd(['--config', writeConfig(path.join(spoolDir, 'agent.json'), config)]);
    expect(code, proc.stdout + proc.stderr).toBe(0);
    const got = await batches();
    const records = got.batches.flatMap((b) => b.records);
    expect(diffRecords(records, expectFlows(capture))).toEqual([]);
    expectExactlyOnce(got, await proc.waitForLog(stopped));
    expect(got.batches.every((b) => b.node === 'node-a' && b.policy.name === 'test-policy')).toBe(true);
  });

  it('NATS stopped mid-run and started again: every record exactly once; the spool fills and drains', async () => {
    const port = await freePort();
    const config = agentConfig(nats.url, longCapture, port);
    config.capture = { backend: 'file', path: longCapture, workers: 1, replayLoops: 100_000 };
    config.export.publish = { ackTimeoutSeconds: 1, maxInFlight: 8, batchMaxRecords: 200 };
    config.export.spool = { memoryBytes: 1 << 20, dir: spoolDir, diskBytes: 4 << 20, onFull: 'dropNewest' };
    config.shutdown = { graceSeconds: 20 };
    const agent = new AgentProcess(['--config', writeConfig(path.join(spoolDir, 'agent.json'), config)]);
    try {
      await agent.waitForLog((l) => l.msg === 'capture started');
      const published = async () => metric(await scrape(port), 'tapline_export_records_published_total', { kind: 'flows' });
      await until(async () => (await published()) > 5000, 'records published before the outage');

      await nats.stop();
      // the spool fills: memory first, then disk (the file input waits at half the spool)
      let peak = { memory: 0, disk: 0 };
      await until(async () => {
        const m = await scrape(port);
        peak = { memory: metric(m, 'tapline_export_spool_bytes', { tier: 'memory' }), disk: metric(m, 'tapline_export_spool_bytes', { tier: 'disk' }) };
        return peak.disk > 0 && metric(m, 'tapline_export_connected') === 0;
      }, 'the spool spilling to disk');
      expect(peak.memory).toBeGreaterThan(0);
      const readyDuringOutage = await fetch(`http://127.0.0.1:${port}/readyz`);
      expect(readyDuringOutage.status).toBe(200); // spooling within limits is ready
      const before = await published();

      await nats.start();
      await until(async () => {
        const m = await scrape(port);
        return metric(m, 'tapline_export_connected') === 1 && metric(m, 'tapline_export_spool_bytes', { tier: 'disk' }) === 0;
      }, 'the spool draining');
      await until(async () => (await published()) > before + 5000, 'publishing going on after the outage');
      const m = await scrape(port);
      expect(metric(m, 'tapline_export_reconnects_total')).toBeGreaterThanOrEqual(1);
      expect(metric(m, 'tapline_export_records_dropped_total')).toBe(0);

      agent.kill('SIGTERM');
      expect(await agent.exited, agent.stdout.slice(-3000) + agent.stderr).toBe(0);
      const summary = await agent.waitForLog(stopped);
      expectExactlyOnce(await batches(), summary);
    } finally {
      agent.kill('SIGKILL');
      if (!nats.running) await nats.start();
    }
  });

  it('SIGTERM mid-run: every live flow arrives with end reason shutdown, exit 0 within the grace period', async () => {
    const port = await freePort();
    // A capture file read once (a replay stopped mid-run ends its live flows shutdown too, see
    // test/engine/stop.test.ts); the file source stops at the packet read last.
    // One message in flight of 20 records paces the input so that the run lasts seconds.
    const config = agentConfig(nats.url, bigCapture, port);
    config.capture = { backend: 'file', path: bigCapture, workers: 2 };
    config.flows.exportRingRecords = 1024;
    config.export.publish = { maxInFlight: 1, batchMaxRecords: 20 };
    config.export.spool = { memoryBytes: 1 << 20 };
    config.shutdown = { graceSeconds: 10 };
    const agent = new AgentProcess(['--config', writeConfig(path.join(spoolDir, 'agent.json'), config)]);
    try {
      await agent.waitForLog((l) => l.msg === 'capture started');
      await until(async () => metric(await scrape(port), 'tapline_export_records_published_total', { kind: 'flows' }) > 10_000, 'records flowing');
      const m = await scrape(port);
      expect(metric(m, 'tapline_flows_active')).toBeGreaterThan(100);
      const t0 = Date.now();
      agent.kill('SIGTERM');
      expect(await agent.exited, agent.stdout.slice(-3000) + agent.stderr).toBe(0);
      expect(Date.now() - t0).toBeLessThan(10_000);
      const summary = await agent.waitForLog(stopped);
      const records = expectExactlyOnce(await batches(), summary);
      const shutdown = records.filter((r) => r.endReason === 'shutdown');
      // the flows live at the stop: the replayed capture keeps ~2000 flows alive at any time
      expect(shutdown.length).toBeGreaterThan(500);
      // and no flow was left out: every packet the engine counted is in exactly one record (above)
    } finally {
      agent.kill('SIGKILL');
    }
  });
});

async function until(cond: () => Promise<boolean>, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
