// Live-capture rates (`npm run bench`, after the flow-engine benchmark), in
// one run on one machine: the file path, DPDK from memory (net_pcap with
// infinite_rx: the capture is loaded once and replayed by the PMD), DPDK over
// net_af_packet on a veth pair, and AF_PACKET on the same veth pair, each with
// 1 and 2 workers, as packets per second and the ratio to the file path.
// The veth rows are fed by tcpreplay --topspeed in the same 2-CPU VM, so they
// measure the kernel path and the sender as much as tapline.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';

import { packageRoot } from '../../agent/engine/binding.js';
import { Engine } from '../../agent/engine/engine.js';
import { writeBenchMix } from '../gen/bench.js';
import { runCapture, summaryNumber, TestNetns } from '../capture/live-support.js';

const PACKETS = 100_000;
const SECONDS = 5;

interface Row {
  path: string;
  workers: number;
  packets: number;
  seconds: number;
  drops: number;
}

async function filePath(file: string, workers: number): Promise<Row> {
  const engine = await Engine.open({ workers, maxFlows: 1 << 20, source: { kind: 'file', path: file } });
  const t0 = process.hrtime.bigint();
  engine.start();
  for await (const b of engine.batches('packed')) void b;
  await engine.close();
  const s = engine.stats();
  return { path: 'file (tapline analyze path)', workers, packets: Number(s.packets), seconds: Number(process.hrtime.bigint() - t0) / 1e9, drops: 0 };
}

async function live(name: string, args: string[], workers: number, netns?: TestNetns, feed?: string): Promise<Row> {
  let sender: ChildProcess | undefined;
  const run = await runCapture([...args, '-w', String(workers), '--duration', String(SECONDS), '-f', 'table', '--top', '1'], {
    ...(netns ? { netns } : {}),
    during: () => {
      if (netns && feed) sender = spawn('ip', ['netns', 'exec', netns.name, 'tcpreplay', '-q', '-t', '--loop=1000', '-i', 'vtx', feed], { stdio: 'ignore' });
    },
    timeoutMs: (SECONDS + 60) * 1000,
  });
  sender?.kill('SIGKILL');
  if (run.code !== 0) throw new Error(`${name}: ${run.stderr}`);
  return {
    path: name,
    workers,
    packets: summaryNumber(run.stderr, '  packets') ?? 0,
    seconds: SECONDS,
    drops: summaryNumber(run.stderr, 'dropped') ?? 0,
  };
}

export async function captureBench(): Promise<string> {
  const out = path.join(packageRoot(), 'test', '.out', 'bench');
  mkdirSync(out, { recursive: true });
  const file = path.join(out, `capture-mix-${PACKETS}.pcap`);
  if (!existsSync(file) || statSync(file).size === 0) writeBenchMix(file, { packets: PACKETS, concurrentFlows: 10_000, seed: 5 });
  const rows: Row[] = [];
  const netns = new TestNetns('bench');
  const root = process.getuid?.() === 0;
  const tcpreplay = spawnSync('sh', ['-c', 'command -v tcpreplay'], { stdio: 'ignore' }).status === 0;
  try {
    if (root && tcpreplay) netns.create();
    for (const w of [1, 2]) {
      rows.push(await filePath(file, w));
      // net_pcap has one RX queue, so DPDK from memory runs with 1 worker only.
      if (root && w === 1) rows.push(await live('DPDK net_pcap infinite_rx (memory)', ['--backend', 'dpdk', '--no-huge', '--memory', '1024', '--mbufs', String(PACKETS + 4096), '--vdev', `net_pcap0,rx_pcap=${file},infinite_rx=1`], 1));
      if (!root || !tcpreplay) continue;
      rows.push(await live('DPDK net_af_packet on veth', ['--backend', 'dpdk', '--no-huge', '--vdev', `net_af_packet0,iface=vrx,qpairs=${w}`], w, netns, file));
      rows.push(await live('AF_PACKET on veth', ['--backend', 'afpacket', '--iface', 'vrx'], w, netns, file));
    }
  } finally {
    netns.destroy();
  }
  const base = rows.find((r) => r.path.startsWith('file') && r.workers === 1);
  const pps = (r: Row) => r.packets / r.seconds;
  const lines = [
    `### Live capture (${PACKETS.toLocaleString('en-US')}-packet mix, ${SECONDS} s per live row)`,
    '',
    '| path | workers | packets | Mpps | ratio to file/1 worker | source drops |',
    '| --- | --- | --- | --- | --- | --- |',
    ...rows.map((r) => `| ${r.path} | ${r.workers} | ${r.packets.toLocaleString('en-US')} | ${(pps(r) / 1e6).toFixed(3)} | ${base ? (pps(r) / pps(base)).toFixed(2) : '-'} | ${r.drops.toLocaleString('en-US')} |`),
    '',
  ];
  const md = lines.join('\n');
  writeFileSync(path.join(out, 'capture.md'), md);
  return md;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  process.stdout.write(await captureBench());
}
