// A real 3-server NATS JetStream cluster for the tests: each nats-server in its own network
// namespace (tapline-nats-<slot>-<i>), joined by a veth to a bridge in the root namespace
// (tlnats0, 10.203.0.1/16), with routes between them, so that one server can be killed
// (SIGKILL) and started again with its store, or cut off from the others and the clients (its
// link taken down in its namespace) and healed. The test process and the agent run in the root
// namespace and reach the servers at 10.203.<slot>.<11+i>:4222 (`urls`).
//
// Needs root (ip netns, ip link). Each cluster takes a free slot (1..250) by creating its first
// namespace, so clusters of tests running at the same time do not meet; cleanup() removes its
// namespaces, veths and store (and the bridge, when no other cluster is left). Stale slots of a
// process that is gone are removed on the way.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { jetstreamManager, type StreamInfo } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';

import { natsServerBinary } from './server.js';

export const CLUSTER_BRIDGE = 'tlnats0';
const BRIDGE_CIDR = '10.203.0.1/16';
const OWNER_DIR = '/run/tapline-nats';
const CLIENT_PORT = 4222;
const ROUTE_PORT = 6222;
const MONITOR_PORT = 8222;

function ip(args: string[], { allowFail = false } = {}): string {
  const r = spawnSync('ip', args, { encoding: 'utf8' });
  if (r.status !== 0 && !allowFail) throw new Error(`ip ${args.join(' ')}: ${r.stderr.trim() || `exit ${r.status}`}`);
  return r.stdout;
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function ensureBridge(): void {
  if (ip(['link', 'show', CLUSTER_BRIDGE], { allowFail: true }) === '') {
    ip(['link', 'add', CLUSTER_BRIDGE, 'type', 'bridge'], { allowFail: true }); // another test may win the race
  }
  if (!ip(['-4', 'addr', 'show', 'dev', CLUSTER_BRIDGE]).includes(BRIDGE_CIDR.split('/')[0]!)) {
    ip(['addr', 'add', BRIDGE_CIDR, 'dev', CLUSTER_BRIDGE], { allowFail: true });
  }
  ip(['link', 'set', CLUSTER_BRIDGE, 'up']);
}

const nsName = (slot: number, i: number) => `tapline-nats-${slot}-${i}`;
const vethName = (slot: number, i: number) => `tln${slot}x${i}`;

function removeSlot(slot: number, size: number): void {
  for (let i = 0; i < size; i++) {
    ip(['link', 'del', vethName(slot, i)], { allowFail: true });
    ip(['netns', 'del', nsName(slot, i)], { allowFail: true });
  }
  rmSync(path.join(OWNER_DIR, String(slot)), { force: true });
}

/** Takes a free slot: its first namespace is created by us (ip netns add fails when it exists). */
function takeSlot(size: number): number {
  mkdirSync(OWNER_DIR, { recursive: true });
  const existing = new Set(ip(['netns', 'list']).split('\n').map((l) => l.split(' ')[0]));
  for (let slot = 1; slot <= 250; slot++) {
    if (existing.has(nsName(slot, 0))) {
      const owner = Number(existsSync(path.join(OWNER_DIR, String(slot))) ? readFileSync(path.join(OWNER_DIR, String(slot)), 'utf8') : 'NaN');
      if (Number.isInteger(owner) && pidAlive(owner)) continue;
      removeSlot(slot, size); // a test process that is gone left it
    }
    if (spawnSync('ip', ['netns', 'add', nsName(slot, 0)]).status !== 0) continue;
    writeFileSync(path.join(OWNER_DIR, String(slot)), String(process.pid));
    return slot;
  }
  throw new Error('no free tapline-nats slot (1..250)');
}

export interface ClusterServer {
  index: number;
  /** server_name, also the stream's leader name in StreamInfo.cluster.leader */
  name: string;
  netns: string;
  address: string;
  url: string;
}

export class NatsTestCluster {
  private readonly children: Array<ChildProcess | undefined>;
  private readonly outputs: string[];
  private readonly cutOff = new Set<number>();

  private constructor(
    readonly bin: string,
    readonly slot: number,
    readonly dir: string,
    readonly servers: ClusterServer[],
  ) {
    this.children = servers.map(() => undefined);
    this.outputs = servers.map(() => '');
  }

  /** Starts a cluster of `size` servers (default 3) and waits until JetStream has a meta leader. */
  static async start(size = 3): Promise<NatsTestCluster> {
    const bin = await natsServerBinary();
    const slot = takeSlot(size); // before the bridge: a cleanup() seeing no slot taken removes it
    ensureBridge();
    const dir = mkdtempSync(path.join(tmpdir(), 'tapline-nats-cluster-'));
    const servers: ClusterServer[] = Array.from({ length: size }, (_, i) => {
      const address = `10.203.${slot}.${11 + i}`;
      return { index: i, name: `n${i + 1}`, netns: nsName(slot, i), address, url: `nats://${address}:${CLIENT_PORT}` };
    });
    const cluster = new NatsTestCluster(bin, slot, dir, servers);
    try {
      for (const s of servers) {
        if (s.index > 0) ip(['netns', 'add', s.netns]);
        const host = vethName(slot, s.index);
        ip(['link', 'add', host, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', s.netns]);
        ip(['link', 'set', host, 'master', CLUSTER_BRIDGE]);
        ip(['link', 'set', host, 'up']);
        ip(['-n', s.netns, 'addr', 'add', `${s.address}/16`, 'dev', 'eth0']);
        ip(['-n', s.netns, 'link', 'set', 'eth0', 'up']);
        ip(['-n', s.netns, 'link', 'set', 'lo', 'up']);
      }
      await Promise.all(servers.map((s) => cluster.startServer(s.index)));
      await cluster.waitForMetaLeader();
    } catch (err) {
      await cluster.cleanup();
      throw err;
    }
    return cluster;
  }

  /** Every client URL (what the agent's export.servers and `--nats URL1,URL2,URL3` take). */
  get urls(): string[] {
    return this.servers.map((s) => s.url);
  }

  running(i: number): boolean {
    return this.children[i] !== undefined;
  }

  log(i: number): string {
    return this.outputs[i] ?? '';
  }

  /** The server index of a server_name (StreamInfo.cluster.leader). */
  indexOf(name: string): number {
    const s = this.servers.find((x) => x.name === name);
    if (!s) throw new Error(`no server named ${name}`);
    return s.index;
  }

  /** A client connection to every running, reachable server. */
  connect(): Promise<NatsConnection> {
    return connect({ servers: this.servers.filter((s) => this.running(s.index) && !this.cutOff.has(s.index)).map((s) => s.url), timeout: 5000 });
  }

  /** The stream's info (its leader and replicas), asking until a leader answers or timeoutMs. */
  async streamInfo(stream: string, timeoutMs = 30_000): Promise<StreamInfo> {
    const deadline = Date.now() + timeoutMs;
    let last: unknown;
    while (Date.now() < deadline) {
      let nc: NatsConnection | undefined;
      try {
        nc = await this.connect();
        const info = await (await jetstreamManager(nc, { timeout: 3000 })).streams.info(stream);
        if (info.cluster?.leader) return info;
        last = new Error('no leader');
      } catch (err) {
        last = err;
      } finally {
        await nc?.close().catch(() => undefined);
      }
      await new Promise((r) => setTimeout(r, 250));
    }
    throw new Error(`stream ${stream} has no leader after ${timeoutMs} ms: ${(last as Error)?.message}`);
  }

  /** The index of the stream's leader now. */
  async leaderOf(stream: string): Promise<number> {
    return this.indexOf((await this.streamInfo(stream)).cluster!.leader!);
  }

  /** Waits until the stream has a leader other than `not` and every replica is current. */
  async waitForStreamLeader(stream: string, { not, current = true, timeoutMs = 60_000 }: { not?: number; current?: boolean; timeoutMs?: number } = {}): Promise<StreamInfo> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const info = await this.streamInfo(stream, Math.max(1000, deadline - Date.now()));
      const leader = this.indexOf(info.cluster!.leader!);
      const replicas = info.cluster?.replicas ?? [];
      const allCurrent = replicas.length === this.servers.length - 1 && replicas.every((r) => r.current && !r.offline);
      if (leader !== not && (!current || allCurrent)) return info;
      if (Date.now() > deadline) throw new Error(`stream ${stream}: leader ${info.cluster?.leader}, replicas ${JSON.stringify(replicas)} after ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  /** SIGKILL a server (as a crashed pod); its store stays for start(). */
  async kill(i: number): Promise<void> {
    const child = this.children[i];
    if (!child) return;
    this.children[i] = undefined;
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    child.kill('SIGKILL');
    await exited;
  }

  /** Starts a killed server again with its store. */
  async start(i: number): Promise<void> {
    if (this.children[i]) throw new Error(`server ${i} is running`);
    await this.startServer(i);
  }

  /** Cuts a server off the others and the clients: its link down, in its own namespace. */
  cut(i: number): void {
    ip(['-n', this.servers[i]!.netns, 'link', 'set', 'eth0', 'down']);
    this.cutOff.add(i);
  }

  /** Heals a cut: the link up again (its address and route come back with it). */
  heal(i: number): void {
    ip(['-n', this.servers[i]!.netns, 'link', 'set', 'eth0', 'up']);
    this.cutOff.delete(i);
  }

  /** The server's monitoring endpoint (/jsz, /routez), fetched from the root namespace. */
  async monitor(i: number, endpoint: string): Promise<unknown> {
    const r = await fetch(`http://${this.servers[i]!.address}:${MONITOR_PORT}/${endpoint}`, { signal: AbortSignal.timeout(3000) });
    return r.json();
  }

  async cleanup(): Promise<void> {
    await Promise.all(this.servers.map((s) => this.kill(s.index)));
    removeSlot(this.slot, this.servers.length);
    rmSync(this.dir, { recursive: true, force: true });
    // the last cluster on this machine takes the bridge with it
    if (!ip(['netns', 'list']).split('\n').some((l) => l.startsWith('tapline-nats-'))) ip(['link', 'del', CLUSTER_BRIDGE], { allowFail: true });
  }

  private configText(i: number): string {
    const s = this.servers[i]!;
    const routes = this.servers.filter((x) => x.index !== i).map((x) => `nats-route://${x.address}:${ROUTE_PORT}`);
    return [
      `server_name: ${s.name}`,
      `listen: 0.0.0.0:${CLIENT_PORT}`,
      `http: 0.0.0.0:${MONITOR_PORT}`,
      `jetstream { store_dir: ${JSON.stringify(path.join(this.dir, s.name))}, max_file_store: 4G, max_memory_store: 128M }`,
      `cluster { name: tapline-test, listen: 0.0.0.0:${ROUTE_PORT}, routes: [ ${routes.join(', ')} ] }`,
      // a lame-duck or reconnecting route is retried quickly, so that a heal is seen at once
      'ping_interval: "2s"',
      'ping_max: 2',
    ].join('\n');
  }

  private async startServer(i: number): Promise<void> {
    const s = this.servers[i]!;
    const conf = path.join(this.dir, `${s.name}.conf`);
    writeFileSync(conf, `${this.configText(i)}\n`);
    const child = spawn('ip', ['netns', 'exec', s.netns, this.bin, '-c', conf], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.children[i] = child;
    const started = this.outputs[i]!.length;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => fail(new Error(`nats-server ${s.name} not ready in 30 s:\n${this.outputs[i]!.slice(started)}`)), 30_000);
      const onData = (d: Buffer) => {
        this.outputs[i] += d.toString('utf8');
        if (this.outputs[i]!.indexOf('Server is ready', started) >= 0) {
          clearTimeout(timer);
          resolve();
        }
      };
      const fail = (err: Error) => {
        clearTimeout(timer);
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
        if (this.children[i] === child) this.children[i] = undefined;
        reject(err);
      };
      child.stdout?.on('data', onData);
      child.stderr?.on('data', onData);
      child.once('exit', (code, signal) => {
        if (this.children[i] === child) this.children[i] = undefined;
        fail(new Error(`nats-server ${s.name} exited (${signal ?? code}):\n${this.outputs[i]!.slice(started)}`));
      });
    });
  }

  private async waitForMetaLeader(timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        const jsz = (await this.monitor(0, 'jsz')) as { meta_cluster?: { leader?: string; cluster_size?: number } };
        if (jsz.meta_cluster?.leader && (jsz.meta_cluster.cluster_size ?? 0) >= this.servers.length) return;
      } catch {
        // not yet
      }
      if (Date.now() > deadline) throw new Error(`the cluster elected no JetStream meta leader in ${timeoutMs} ms:\n${this.outputs.join('\n---\n').slice(-4000)}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}
