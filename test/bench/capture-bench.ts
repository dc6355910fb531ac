// Live-capture rates (`npm run bench`, after the flow-engine benchmark), in
// one run on one machine: the file path, DPDK from memory (net_pcap with
// infinite_rx: the capture is loaded once and replayed by the PMD), DPDK over
// net_af_packet on a veth pair, and AF_PACKET on the same veth pair, each with
// 1 and 2 workers, as packets per second and the ratio to the file path.
// The veth rows are fed by tcpreplay --topspeed in the same 2-CPU VM, so they
// measure the kernel path and the sender as much as tapline. AF_XDP (DPDK's
// net_af_xdp: an XDP program on vrx redirects into a socket DPDK reads) and
// AF_PACKET run on the same veth pair in the same run; the sender stops on
// its own before the capture does, so sent - received is what the path lost.
import { spawn, spawnSync } from 'node:child_process';
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
  /** Frames tcpreplay sent (veth rows). */
  sent?: number;
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

/** tcpreplay in the namespace for `seconds`, at top speed; resolves to the frames it sent. */
function startSender(netns: TestNetns, feed: string, seconds: number): { sent: Promise<number | undefined>; kill: () => void } {
  const child = spawn('ip', ['netns', 'exec', netns.name, 'tcpreplay', '-t', '--loop=100000', `--duration=${seconds}`, '-i', 'vtx', feed], {
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  const sent = new Promise<number | undefined>((resolve) => child.on('close', () => resolve(Number(/Actual: (\d+) packets/.exec(out)?.[1]) || undefined)));
  return { sent, kill: () => child.kill('SIGKILL') };
}

async function live(name: string, args: string[], workers: number, netns?: TestNetns, feed?: string): Promise<Row> {
  let sender: ReturnType<typeof startSender> | undefined;
  const run = await runCapture([...args, '-w', String(workers), '--duration', String(SECONDS), '-f', 'table', '--top', '1'], {
    ...(netns ? { netns } : {}),
    // The sender stops 2 s before the capture, so every frame sent had time to arrive.
    during: () => {
      if (netns && feed) sender = startSender(netns, feed, SECONDS - 2);
    },
    timeoutMs: (SECONDS + 60) * 1000,
  });
  sender?.kill();
  const sent = await sender?.sent;
  if (run.code !== 0) throw new Error(`${name}: ${run.stderr}`);
  return {
    path: name,
    workers,
    packets: summaryNumber(run.stderr, '  packets') ?? 0,
    seconds: sender ? SECONDS - 2 : SECONDS, // the rate while frames arrived
    drops: summaryNumber(run.stderr, 'dropped') ?? 0,
    ...(sent !== undefined ? { sent } : {}),
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
    if (root && tcpreplay) netns.create(3000); // AF_XDP on veth needs an MTU that fits a page
    for (const w of [1, 2]) {
      rows.push(await filePath(file, w));
      // net_pcap has one RX queue, so DPDK from memory runs with 1 worker only.
      if (root && w === 1) rows.push(await live('DPDK net_pcap infinite_rx (memory)', ['--backend', 'dpdk', '--no-huge', '--memory', '1024', '--mbufs', String(PACKETS + 4096), '--vdev', `net_pcap0,rx_pcap=${file},infinite_rx=1`], 1));
      if (!root || !tcpreplay) continue;
      rows.push(await live('DPDK net_af_packet on veth', ['--backend', 'dpdk', '--no-huge', '--vdev', `net_af_packet0,iface=vrx,qpairs=${w}`], w, netns, file));
      // net_af_xdp: one queue on a veth (no RSS to spread flows), so 1 worker.
      if (w === 1) rows.push(await live('DPDK net_af_xdp (AF_XDP) on veth', ['--backend', 'dpdk', '--no-huge', '--vdev', 'net_af_xdp0,iface=vrx,start_queue=0,queue_count=1'], w, netns, file));
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
    '| path | workers | packets | Mpps | ratio to file/1 worker | source drops | sent | lost (sent - packets) |',
    '| --- | --- | --- | --- | --- | --- | --- | --- |',
    ...rows.map(
      (r) =>
        `| ${r.path} | ${r.workers} | ${r.packets.toLocaleString('en-US')} | ${(pps(r) / 1e6).toFixed(3)} | ${base ? (pps(r) / pps(base)).toFixed(2) : '-'} | ${r.drops.toLocaleString('en-US')} | ${r.sent?.toLocaleString('en-US') ?? '-'} | ${r.sent !== undefined ? `${(r.sent - r.packets).toLocaleString('en-US')} (${(((r.sent - r.packets) / r.sent) * 100).toFixed(1)}%)` : '-'} |`,
    ),
    '',
  ];
  const md = lines.join('\n');
  writeFileSync(path.join(out, 'capture.md'), md);
  return md;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  process.stdout.write(await captureBench());
}
