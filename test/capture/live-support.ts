// Helpers for the live-capture tests: a network namespace with a veth pair
// (traffic only ever enters the test's own namespace), a generated capture
// whose exact flow records are known when it is replayed at full speed, and
// a comparison of records that ignores timestamps (live sources stamp
// packets on arrival).
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, readdirSync, existsSync } from 'node:fs';
import path from 'node:path';

import { packageRoot } from '../../agent/engine/binding.js';
import { Engine } from '../../agent/engine/engine.js';
import { parseJsonLines } from '../../agent/engine/flow-record.js';
import { writeCaptureFile } from '../gen/capture-writer.js';
import { expectFlows, type FlowRecordJson } from '../gen/flow-model.js';
import { LINKTYPE_ETHERNET } from '../gen/packets.js';
import { Prng } from '../gen/prng.js';
import { buildCapture, type Capture, type Scenario } from '../gen/scenario.js';
import {
  dnsScenario, fragmentedUdpV4Scenario, icmpEchoScenario, icmpUnreachableScenario, icmpv6EchoScenario, ipv6TcpExtHeadersScenario,
  ipv6UdpScenario, qinqScenario, sctpScenario, tcpFinScenario, tcpPortReuseScenario, tcpRstScenario, udpRequestResponseScenario,
  vlanScenario,
} from '../gen/scenarios.js';

export const isRoot = process.getuid?.() === 0;
export const haveTcpreplay = spawnSync('sh', ['-c', 'command -v tcpreplay'], { stdio: 'ignore' }).status === 0;
/** Why the live tests cannot run here, or null. */
export const liveSkipReason: string | null = !isRoot
  ? 'live capture tests need root (network namespaces, AF_PACKET, DPDK): run npm test as root'
  : !haveTcpreplay
    ? 'tcpreplay is not installed (npm test installs it: scripts/lib/system-packages.mjs)'
    : null;

export const outDir = path.join(packageRoot(), 'test', '.out', 'capture');
export const taplineBin = path.join(packageRoot(), 'bin', 'tapline.js');

/** A network namespace holding a veth pair `vtx` <-> `vrx`, IPv6 off so the kernel sends nothing of its own. */
export class TestNetns {
  readonly name: string;
  constructor(tag: string) {
    this.name = `tapline-test-${tag}-${process.pid}`;
  }

  /** mtu: of both ends of the pair (veth refuses native XDP, as AF_XDP needs, above about 3,500). */
  create(mtu = 9000): void {
    this.destroy();
    const ns = this.name;
    execFileSync('ip', ['netns', 'add', ns]);
    this.exec('sysctl', ['-qw', 'net.ipv6.conf.all.disable_ipv6=1', 'net.ipv6.conf.default.disable_ipv6=1']);
    execFileSync('ip', ['-n', ns, 'link', 'add', 'vtx', 'type', 'veth', 'peer', 'name', 'vrx']);
    execFileSync('ip', ['-n', ns, 'link', 'set', 'vtx', 'mtu', String(mtu), 'up']);
    execFileSync('ip', ['-n', ns, 'link', 'set', 'vrx', 'mtu', String(mtu), 'up']);
  }

  destroy(): void {
    spawnSync('ip', ['netns', 'del', this.name], { stdio: 'ignore' }); // takes linkToHost()'s pair with it
  }

  /**
   * A second veth pair, `vhost` in the namespace to `tlh<pid>` in the test's own, on a /30 of
   * 198.18.0.0/15 (set aside for benchmarks, never routed), so that a process in the namespace
   * reaches a server the test runs (NATS) without that traffic crossing the captured pair.
   * Returns the test side's address, for the server to listen on.
   */
  linkToHost(): string {
    const outside = `tlh${process.pid}`;
    const n = process.pid % 16384;
    const net = `198.18.${n >> 6}.${(n & 63) * 4}`.split('.').map(Number);
    const addr = (last: number) => `${net.slice(0, 3).join('.')}.${(net[3] ?? 0) + last}`;
    spawnSync('ip', ['link', 'del', outside], { stdio: 'ignore' });
    execFileSync('ip', ['link', 'add', outside, 'type', 'veth', 'peer', 'name', 'vhost', 'netns', this.name]);
    execFileSync('ip', ['addr', 'add', `${addr(1)}/30`, 'dev', outside]);
    execFileSync('ip', ['link', 'set', outside, 'up']);
    execFileSync('ip', ['-n', this.name, 'addr', 'add', `${addr(2)}/30`, 'dev', 'vhost']);
    execFileSync('ip', ['-n', this.name, 'link', 'set', 'vhost', 'up']);
    return addr(1);
  }

  exec(cmd: string, args: string[]): string {
    return execFileSync('ip', ['netns', 'exec', this.name, cmd, ...args], { encoding: 'utf8' });
  }

  /** Sends every frame of `file` out of `vtx`, as fast as possible. */
  replay(file: string): void {
    this.exec('tcpreplay', ['-q', '-t', '-i', 'vtx', file]);
  }
}

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
  /** Milliseconds from spawn to exit. */
  ms: number;
}

/**
 * Runs `tapline capture` (in `netns` when given); once it says it is
 * listening, runs `during()` (e.g. sends traffic). Kills it after `timeoutMs`.
 */
export function runCapture(
  args: string[],
  opts: { netns?: TestNetns; during?: (child: ChildProcess) => void; timeoutMs?: number } = {},
): Promise<CliRun> {
  const cmd = opts.netns ? 'ip' : process.execPath;
  const argv = opts.netns ? ['netns', 'exec', opts.netns.name, process.execPath, taplineBin, 'capture', ...args] : [taplineBin, 'capture', ...args];
  const t0 = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let started = false;
    const kill = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 30_000);
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      if (!started && stderr.includes('listening')) {
        started = true;
        try {
          opts.during?.(child); // `ip netns exec` execs node: the child is the capture itself
        } catch (err) {
          child.kill('SIGKILL');
          reject(err instanceof Error ? err : new Error(String(err)));
        }
      }
    });
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(kill);
      resolve({ code, stdout, stderr, ms: Date.now() - t0 });
    });
  });
}

export function parseRecords(jsonl: string): FlowRecordJson[] {
  return jsonl
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => JSON.parse(l) as FlowRecordJson);
}

/** One `capture`/`workers` line field of the summary: "received 123" -> 123. */
export function summaryNumber(stderr: string, label: string): number | null {
  const m = new RegExp(`${label}\\s+([0-9,]+)`).exec(stderr);
  return m?.[1] ? Number(m[1].replace(/,/g, '')) : null;
}

export interface LiveCapture {
  file: string;
  capture: Capture;
  frames: number;
  /** The records a live capture of the replayed file must export (stopped by --duration). */
  expected: FlowRecordJson[];
}

/**
 * Known traffic for a live capture: every scenario of the generator that the
 * wire keeps intact (fragments only when `fragments`: AF_PACKET's fanout
 * defragments them), plus `extraFlows` small UDP flows so that several
 * workers all get some. Frames are 1 us apart, as a full-speed replay
 * delivers them, so no idle or active timeout splits a flow.
 */
export function buildLiveCapture(name: string, seed: number, opts: { extraFlows?: number; fragments?: boolean } = {}): LiveCapture {
  const rng = new Prng(seed);
  const s = (): number => rng.u32();
  const scenarios: Scenario[] = [
    tcpFinScenario({ seed: s() }),
    tcpRstScenario({ seed: s() }),
    tcpPortReuseScenario({ seed: s() }),
    udpRequestResponseScenario({ seed: s() }),
    dnsScenario({ seed: s() }),
    icmpEchoScenario({ seed: s() }),
    icmpUnreachableScenario({ seed: s() }),
    ipv6TcpExtHeadersScenario({ seed: s() }),
    ipv6UdpScenario({ seed: s() }),
    icmpv6EchoScenario({ seed: s() }),
    sctpScenario({ seed: s() }),
    vlanScenario({ seed: s() }),
    qinqScenario({ seed: s() }),
  ];
  if (opts.fragments) scenarios.push(fragmentedUdpV4Scenario({ seed: s() }));
  for (let i = 0; i < (opts.extraFlows ?? 0); i++) {
    scenarios.push(
      udpRequestResponseScenario({
        seed: s(),
        client: `10.77.${(i >> 8) & 255}.${(i & 255) + 1}`,
        server: '10.78.0.1',
        clientPort: 20000 + i,
        serverPort: 7000,
        exchanges: 2,
        name: `extra-${i}`,
      }),
    );
  }
  const built = buildCapture(scenarios, { precision: 'ns' });
  const t0 = built.frames[0]?.ts ?? 0n;
  const frames = built.frames.map((f, i) => ({ ...f, ts: t0 + BigInt(i) * 1000n }));
  const capture: Capture = { ...built, frames };
  mkdirSync(outDir, { recursive: true });
  const file = path.join(outDir, `${name}.pcap`);
  writeCaptureFile(file, frames, { precision: 'ns', linktype: LINKTYPE_ETHERNET });
  // Flows still open when the capture stops end "shutdown" (a file would say "eof").
  const expected = expectFlows(capture).map((r) => (r.endReason === 'eof' ? { ...r, endReason: 'shutdown' as const } : r));
  return { file, capture, frames: frames.length, expected };
}

const COMPARED = ['packets', 'bytes', 'revPackets', 'revBytes', 'tcpFlags', 'revTcpFlags', 'endReason', 'communityId'] as const;

function flowKey(r: FlowRecordJson): string {
  return `${r.srcAddr}:${r.srcPort} > ${r.dstAddr}:${r.dstPort} p${r.proto} v${r.vlan ?? '-'} ip${r.ipVersion}`;
}

function flowValue(r: FlowRecordJson): string {
  return COMPARED.map((k) => `${k}=${String(r[k])}`).join(' ');
}

/**
 * Differences between records ignoring start/end (live timestamps are arrival
 * times); [] when equal. A flow split over two workers shows as a missing
 * record plus two unexpected ones.
 */
export function diffIgnoringTime(actual: readonly FlowRecordJson[], expected: readonly FlowRecordJson[]): string[] {
  const group = (rs: readonly FlowRecordJson[]) => {
    const m = new Map<string, string[]>();
    for (const r of rs) m.set(flowKey(r), [...(m.get(flowKey(r)) ?? []), flowValue(r)]);
    for (const v of m.values()) v.sort();
    return m;
  };
  const a = group(actual);
  const e = group(expected);
  const problems: string[] = [];
  for (const [k, ev] of e) {
    const av = a.get(k) ?? [];
    if (av.join('|') !== ev.join('|')) problems.push(`${k}: got [${av.join('; ')}], expected [${ev.join('; ')}]`);
  }
  for (const [k, av] of a) if (!e.has(k)) problems.push(`unexpected ${k}: [${av.join('; ')}]`);
  return problems;
}

/** Entries of the DPDK runtime directory and hugetlbfs mounts that a tapline process left behind. */
export function dpdkLeftovers(): string[] {
  const out: string[] = [];
  for (const dir of ['/var/run/dpdk', '/run/dpdk', '/dev/hugepages']) {
    if (!existsSync(dir)) continue;
    for (const e of readdirSync(dir)) if (e.startsWith('tapline')) out.push(path.join(dir, e));
  }
  return out;
}

/**
 * The records a capture file gives through the engine (with an optional filter), end reasons as
 * a stopped live capture reports them (eof -> shutdown), for comparing a live capture with the file.
 */
export async function fileRecords(file: string, filter?: string): Promise<FlowRecordJson[]> {
  const engine = await Engine.open({ maxFlows: 1 << 14, ...(filter ? { filter } : {}), source: { kind: 'file', path: file } });
  try {
    engine.start();
    const out: FlowRecordJson[] = [];
    for await (const b of engine.batches('jsonl')) out.push(...(parseJsonLines(b.data) as FlowRecordJson[]));
    return out.map((r) => (r.endReason === 'eof' ? { ...r, endReason: 'shutdown' as const } : r));
  } finally {
    await engine.close();
  }
}
