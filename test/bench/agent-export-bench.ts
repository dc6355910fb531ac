// The agent's export path against a local nats-server with a JetStream file stream:
//  1. records published per second (acknowledged) by batch size, from pre-encoded records;
//  2. end to end, packets per second from a capture file through the engine and the exporter
//     into the stream, beside the engine alone on the same file, in the same run.
// `npm run bench` prints the tables (scripts/bench.mjs); results go to test/bench/results/agent-export.md.
import { mkdirSync, statSync } from 'node:fs';
import path from 'node:path';

import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { pino } from 'pino';

import { packageRoot } from '../../agent/engine/binding.js';
import { Engine } from '../../agent/engine/engine.js';
import { Exporter } from '../../agent/export/exporter.js';
import { EXPORT_DEFAULTS, commandLineExportSettings, type ExportSettings } from '../../agent/export/options.js';
import { writeBenchMix } from '../gen/bench.js';
import { NatsTestServer } from '../nats/server.js';

const BATCH_SIZES = [1, 10, 100, 1000, 5000];
const log = pino({ level: 'warn' });

function settings(url: string, batchMaxRecords: number): ExportSettings {
  return {
    ...commandLineExportSettings({ servers: url, stream: 'BENCH', subjectPrefix: 'bench', createStream: true, node: 'bench' }),
    batchMaxRecords,
    batchMaxBytes: 1024 * 1024 - 8192,
    maxInFlight: EXPORT_DEFAULTS.maxInFlight,
  };
}

async function freshStream(url: string): Promise<void> {
  const nc = await connect({ servers: url });
  await (await jetstreamManager(nc)).streams.delete('BENCH').catch(() => undefined);
  await nc.close();
}

/** Every record of a capture as the engine encodes them (JSON lines), in engine-sized batches. */
async function encodedRecords(file: string): Promise<{ batches: Buffer[]; records: number }> {
  const engine = await Engine.open({ workers: 1, maxFlows: 1 << 18, source: { kind: 'file', path: file } });
  engine.start();
  const batches: Buffer[] = [];
  let records = 0;
  for await (const b of engine.batches('jsonl')) {
    batches.push(b.data);
    records += b.records;
  }
  await engine.close();
  return { batches, records };
}

/** The first `n` records (whole lines), as one batch. */
function firstRecords(input: { batches: Buffer[] }, n: number): { batches: Buffer[]; records: number } {
  const all = Buffer.concat(input.batches);
  let end = 0;
  for (let i = 0; i < n; i++) end = all.indexOf(0x0a, end) + 1;
  return { batches: [all.subarray(0, end)], records: n };
}

async function publishRate(url: string, batchSize: number, input: { batches: Buffer[]; records: number }) {
  await freshStream(url);
  const x = await Exporter.open(settings(url, batchSize), log);
  const t0 = process.hrtime.bigint();
  for (const b of input.batches) await x.publishFlowsPaced(b);
  const r = await x.flush(600_000);
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  const s = x.stats();
  await x.close();
  if (!r.delivered || s.publishedRecords.flows !== input.records) throw new Error(`bench: batch ${batchSize}: ${s.publishedRecords.flows} of ${input.records} delivered`);
  const bytes = input.batches.reduce((n, b) => n + b.length, 0);
  return { batchSize, messages: s.publishedMessages.flows, recordsPerSec: input.records / secs, messagesPerSec: s.publishedMessages.flows / secs, mbPerSec: bytes / secs / 1e6, secs };
}

async function engineAlone(file: string, workers: number): Promise<{ pps: number; secs: number; packets: number }> {
  const engine = await Engine.open({ workers, maxFlows: 1 << 20, source: { kind: 'file', path: file } });
  const t0 = process.hrtime.bigint();
  engine.start();
  for await (const b of engine.batches('jsonl')) void b;
  await engine.close();
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  const packets = Number(engine.stats().packets);
  return { pps: packets / secs, secs, packets };
}

async function throughAgent(url: string, file: string, workers: number): Promise<{ pps: number; secs: number; packets: number; records: number }> {
  await freshStream(url);
  const x = await Exporter.open(settings(url, EXPORT_DEFAULTS.batchMaxRecords), log);
  const engine = await Engine.open({ workers, maxFlows: 1 << 20, source: { kind: 'file', path: file } });
  const t0 = process.hrtime.bigint();
  engine.start();
  for await (const b of engine.batches('jsonl')) await x.publishFlowsPaced(b.data);
  await engine.close();
  const r = await x.flush(600_000);
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  const s = x.stats();
  await x.close();
  const packets = Number(engine.stats().packets);
  if (!r.delivered) throw new Error('bench: the agent path did not deliver every record');
  return { pps: packets / secs, secs, packets, records: s.publishedRecords.flows };
}

const fmt = (n: number, d = 0) => n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });

export async function agentBench(opts: { packets?: number } = {}): Promise<string> {
  const dir = path.join(packageRoot(), 'test', '.out', 'bench');
  mkdirSync(dir, { recursive: true });
  const packets = opts.packets ?? Number(process.env.TAPLINE_AGENT_BENCH_PACKETS ?? 2_000_000);
  // Short flows so that records, not packets, dominate the export: ~8 packets per flow.
  const file = path.join(dir, 'agent-export.pcap');
  writeBenchMix(file, { packets, concurrentFlows: 20_000, meanFlowPackets: 8, snaplen: 96, seed: 9 });
  const nats = await NatsTestServer.start({ maxPayload: 1024 * 1024 });
  const lines: string[] = [];
  try {
    const input = await encodedRecords(file);
    lines.push(`## Agent export to JetStream (nats-server, file storage, 1 replica, local)`, '');
    lines.push(`Records published per second (acknowledged), ${fmt(input.records)} flow records, window ${EXPORT_DEFAULTS.maxInFlight} messages:`, '');
    lines.push('| records per message | messages | records/s | messages/s | MB/s (JSON) |', '| ---: | ---: | ---: | ---: | ---: |');
    for (const size of BATCH_SIZES) {
      // one message per record is slow: a tenth of the records is enough to measure it
      const sample = size === 1 ? firstRecords(input, Math.ceil(input.records / 10)) : input;
      const r = await publishRate(nats.url, size, sample);
      lines.push(`| ${fmt(size)} | ${fmt(r.messages)} | ${fmt(r.recordsPerSec)} | ${fmt(r.messagesPerSec)} | ${fmt(r.mbPerSec, 1)} |`);
    }
    lines.push('', `End to end, ${fmt(packets)} packets (${fmt(statSync(file).size / 1e6, 0)} MB capture file, ${fmt(input.records)} flows), 1 worker:`, '');
    lines.push('| path | packets/s | seconds | ratio |', '| --- | ---: | ---: | ---: |');
    // best of two each, interleaved, so that the page cache and CPU frequency treat both alike
    let alone = await engineAlone(file, 1);
    let agent = await throughAgent(nats.url, file, 1);
    const alone2 = await engineAlone(file, 1);
    const agent2 = await throughAgent(nats.url, file, 1);
    if (alone2.pps > alone.pps) alone = alone2;
    if (agent2.pps > agent.pps) agent = agent2;
    lines.push(`| engine alone (file → records, JSON encoded, discarded) | ${fmt(alone.pps)} | ${fmt(alone.secs, 2)} | 1.00 |`);
    lines.push(`| engine → exporter → JetStream (every record acknowledged) | ${fmt(agent.pps)} | ${fmt(agent.secs, 2)} | ${fmt(agent.pps / alone.pps, 2)} |`);
    if (agent.records !== input.records) throw new Error(`bench: ${agent.records} of ${input.records} records delivered`);
  } finally {
    await nats.cleanup();
  }
  return `${lines.join('\n')}\n`;
}
