// The soak: `npm run bench -- --soak MINUTES` (not part of `npm test`). The agent process replays a
// generated capture (a TCP/UDP mix with tens of thousands of concurrent flows) in a loop from
// memory into a JetStream file stream on a local nats-server for MINUTES; every 10 s the agent's
// RSS and heap, flow-table occupancy, spool depth, event-loop lag (p99 and max over the interval)
// and record rates are sampled from its /metrics. At the end (SIGTERM) it checks that no record
// was dropped: the agent's exit summary (ring drops, spool drops, pending all 0; published =
// exported) and the stream's last sequence against the acknowledged messages (the stream keeps
// its newest 2 GiB: a soak writes far more than that). Memory is judged after a warm-up (the first
// fifth of the run, at least a minute): the least-squares RSS slope in MiB per 10 minutes and the
// growth of the last sample over the first after warm-up.
//
// Prints a markdown table (and writes it, with a CSV, to test/.out/bench/soak-<time>.{md,csv}).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os, { tmpdir } from 'node:os';
import path from 'node:path';

import { DiscardPolicy, jetstreamManager, RetentionPolicy, StorageType } from '@nats-io/jetstream';
import { connect, nanos } from '@nats-io/transport-node';

import { packageRoot } from '../../agent/engine/binding.js';
import { agentConfig, writeConfig } from '../agent/support/agent-config.js';
import { AgentProcess, metric, scrape } from '../agent/support/agent-process.js';
import { writeBenchMix } from '../gen/bench.js';
import { NatsTestServer, freePort } from '../nats/server.js';

const SAMPLE_MS = 10_000;
const MiB = 2 ** 20;

interface Row {
  t: number;
  rssMiB: number;
  heapMiB: number;
  flowsActive: number;
  occupancyPct: number;
  spoolRecords: number;
  spoolMiB: number;
  lagP99Ms: number;
  lagMaxMs: number;
  exportedPerS: number;
  publishedPerS: number;
  exported: number;
  published: number;
  drops: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Least-squares slope of y over x. */
function slope(xs: number[], ys: number[]): number {
  const n = xs.length;
  if (n < 2) return 0;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    num += (xs[i]! - mx) * (ys[i]! - my);
    den += (xs[i]! - mx) ** 2;
  }
  return den === 0 ? 0 : num / den;
}

export interface SoakResult {
  markdown: string;
  ok: boolean;
}

export async function soakBench({ minutes }: { minutes: number }): Promise<SoakResult> {
  const out = path.join(packageRoot(), 'test', '.out', 'bench');
  mkdirSync(out, { recursive: true });
  const work = mkdtempSync(path.join(tmpdir(), 'tapline-soak-'));
  const nats = await NatsTestServer.start();
  let agent: AgentProcess | undefined;
  try {
    const capture = writeBenchMix(path.join(out, 'soak-mix.pcap'), { packets: 2_000_000, concurrentFlows: 50_000, seed: 77 });
    const nc = await connect({ servers: nats.url });
    await (await jetstreamManager(nc)).streams.add({
      name: 'SOAK', subjects: ['tapline.>'], storage: StorageType.File, retention: RetentionPolicy.Limits, discard: DiscardPolicy.Old,
      max_bytes: 2 * 2 ** 30, duplicate_window: nanos(120_000),
    });
    await nc.close();

    const port = await freePort();
    const config = agentConfig(nats.url, capture.path, port);
    config.export.stream = 'SOAK';
    delete config.export.createStream;
    config.capture = { backend: 'file', path: capture.path, workers: 1, replayLoops: 1 << 20 };
    config.flows = { idleTimeoutSeconds: 5, activeTimeoutSeconds: 60, maxFlows: 1 << 17 };
    config.export.spool = { memoryBytes: 64 * MiB, dir: path.join(work, 'spool'), diskBytes: 2 * 2 ** 30, onFull: 'dropNewest' };
    config.shutdown = { graceSeconds: 300 };
    agent = new AgentProcess(['--config', writeConfig(path.join(work, 'agent.json'), config)]);
    await agent.waitForLog((l) => l.msg === 'capture started');
    const started = performance.now();
    const endAt = started + minutes * 60_000;
    const rows: Row[] = [];
    let prev: { t: number; exported: number; published: number } | undefined;
    process.stderr.write(`soak: ${minutes} min, a sample every ${SAMPLE_MS / 1000} s (capture: ${capture.packets} packets, ${capture.flows} flows per loop)\n`);
    while (performance.now() < endAt) {
      await sleep(Math.min(SAMPLE_MS, Math.max(0, endAt - performance.now())));
      const m = await scrape(port);
      const t = (performance.now() - started) / 1000;
      const exported = metric(m, 'tapline_flows_exported_total');
      const published = metric(m, 'tapline_export_records_published_total', { kind: 'flows' });
      const dt = prev ? t - prev.t : t;
      const capacity = metric(m, 'tapline_flow_table_capacity');
      const row: Row = {
        t,
        rssMiB: metric(m, 'tapline_agent_process_resident_memory_bytes') / MiB,
        heapMiB: metric(m, 'tapline_agent_nodejs_heap_size_used_bytes') / MiB,
        flowsActive: metric(m, 'tapline_flows_active'),
        occupancyPct: capacity > 0 ? (100 * metric(m, 'tapline_flows_active')) / capacity : 0,
        spoolRecords: metric(m, 'tapline_export_spool_records'),
        spoolMiB: (metric(m, 'tapline_export_spool_bytes', { tier: 'memory' }) + metric(m, 'tapline_export_spool_bytes', { tier: 'disk' })) / MiB,
        lagP99Ms: metric(m, 'tapline_agent_nodejs_eventloop_lag_p99_seconds') * 1000,
        lagMaxMs: metric(m, 'tapline_agent_nodejs_eventloop_lag_max_seconds') * 1000,
        exportedPerS: (exported - (prev?.exported ?? 0)) / dt,
        publishedPerS: (published - (prev?.published ?? 0)) / dt,
        exported,
        published,
        drops: metric(m, 'tapline_drops_total', { layer: 'ring' }) + metric(m, 'tapline_export_records_dropped_total'),
      };
      rows.push(row);
      prev = { t, exported, published };
      process.stderr.write(
        `soak ${t.toFixed(0)} s: rss ${row.rssMiB.toFixed(1)} MiB, heap ${row.heapMiB.toFixed(1)} MiB, flows ${row.flowsActive} (${row.occupancyPct.toFixed(1)}%), spool ${row.spoolRecords} records, lag p99 ${row.lagP99Ms.toFixed(1)} ms, exported ${Math.round(row.exportedPerS)}/s, published ${Math.round(row.publishedPerS)}/s, drops ${row.drops}\n`,
      );
    }
    const beforeStop = await scrape(port);
    agent.kill('SIGTERM');
    const code = await agent.exited;
    const summary = await agent.waitForLog((l) => /^agent stopped/.test(l.msg), 1000);
    const nc2 = await connect({ servers: nats.url });
    const state = (await (await jetstreamManager(nc2)).streams.info('SOAK')).state;
    await nc2.close();
    // after SIGTERM the last flows are flushed: count messages from the exit summary
    const ackedMessages = metric(beforeStop, 'tapline_export_messages_published_total', { kind: 'flows' });
    const duplicates = Number(summary.duplicates);

    const warm = Math.max(60, (minutes * 60) / 5);
    const after = rows.filter((r) => r.t >= warm);
    const rssSlope = slope(after.map((r) => r.t), after.map((r) => r.rssMiB)) * 600; // MiB per 10 min
    const heapSlope = slope(after.map((r) => r.t), after.map((r) => r.heapMiB)) * 600;
    const growthPct = after.length > 1 ? (100 * (after.at(-1)!.rssMiB - after[0]!.rssMiB)) / after[0]!.rssMiB : 0;
    const maxAfter = Math.max(...after.map((r) => r.rssMiB));
    const flat = after.length > 1 && Math.abs(growthPct) < 10 && rssSlope < 8;
    const noLoss =
      code === 0 &&
      summary.recordsDropped === 0 &&
      summary.recordsPending === 0 &&
      summary.ringDrops === '0' &&
      String(summary.recordsPublished) === String(summary.flowsExported);
    const exported = Number(summary.flowsExported);
    const totalSecs = rows.at(-1)?.t ?? 1;

    const table = [
      '| t (s) | RSS MiB | heap MiB | flows active | table % | spool records | spool MiB | loop lag p99 ms | loop lag max ms | exported/s | published/s | drops |',
      '| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
      ...rows.map(
        (r) =>
          `| ${r.t.toFixed(0)} | ${r.rssMiB.toFixed(1)} | ${r.heapMiB.toFixed(1)} | ${r.flowsActive} | ${r.occupancyPct.toFixed(1)} | ${r.spoolRecords} | ${r.spoolMiB.toFixed(1)} | ${r.lagP99Ms.toFixed(1)} | ${r.lagMaxMs.toFixed(1)} | ${Math.round(r.exportedPerS)} | ${Math.round(r.publishedPerS)} | ${r.drops} |`,
      ),
    ];
    const cpu = os.cpus();
    const markdown = [
      `### Soak: ${minutes} min`,
      '',
      `Command: \`npm run bench -- --soak ${minutes}\` (test/bench/soak-bench.ts). Machine: ${cpu.length} x ${cpu[0]?.model ?? '?'}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, load average at the end ${os.loadavg()[0]!.toFixed(1)}.`,
      `Capture: ${capture.packets} packets, ${capture.flows} flows per loop (bench mix, 50k concurrent flows), replayed from memory in a loop; 1 worker, idle timeout 5 s, active 60 s, flow table 131072.`,
      '',
      `- records: exported ${exported} (${Math.round(exported / totalSecs)}/s on average), published ${summary.recordsPublished}, dropped ${summary.recordsDropped}, pending at exit ${summary.recordsPending}, ring drops ${summary.ringDrops}, duplicates ${duplicates}; agent exit ${code}`,
      `- stream: last sequence ${state.last_seq} against ${ackedMessages} acknowledged flow messages before SIGTERM (${state.messages} kept under the 2 GiB limit)`,
      `- memory after warm-up (${warm.toFixed(0)} s): RSS ${after[0]?.rssMiB.toFixed(1)} -> ${after.at(-1)?.rssMiB.toFixed(1)} MiB (max ${maxAfter.toFixed(1)}; ${growthPct.toFixed(1)}%), slope ${rssSlope.toFixed(2)} MiB per 10 min (heap ${heapSlope.toFixed(2)}): ${flat ? 'flat' : 'NOT flat'}`,
      `- verdict: ${noLoss ? 'no record dropped' : 'RECORDS LOST'}; memory ${flat ? 'flat' : 'growing'}`,
      '',
      ...table,
      '',
    ].join('\n');
    const stamp = new Date().toISOString().replace(/[:.]/g, '-');
    writeFileSync(path.join(out, `soak-${stamp}.md`), markdown);
    writeFileSync(
      path.join(out, `soak-${stamp}.csv`),
      [Object.keys(rows[0] ?? {}).join(','), ...rows.map((r) => Object.values(r).map((v) => (typeof v === 'number' ? +v.toFixed(3) : v)).join(','))].join('\n') + '\n',
    );
    return { markdown, ok: noLoss && flat && state.last_seq >= ackedMessages };
  } finally {
    agent?.kill('SIGKILL');
    await nats.cleanup();
    rmSync(work, { recursive: true, force: true });
  }
}
