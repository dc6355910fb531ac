// The demo's network: one network namespace per node (as an agent pod has its own), each with
//   tap0 <-> tx0   a veth pair: the demo sends generated traffic out of tx0, the agent captures on tap0
//   ctl0           a veth into a bridge in the root namespace, so the agent reaches NATS at the
//                  bridge's address (the namespaces' loopbacks are their own)
// Addresses are private (10.77.0.0/24) and exist only on links the demo creates; everything is
// removed by destroyTopology(), and leftovers of a killed run by the next createTopology().
import { execFileSync } from 'node:child_process';

export const CAPTURE_IF = 'tap0';
export const SENDER_IF = 'tx0';
const PREFIX = 'tapline-demo-';
const BRIDGE = 'tldemo0';
const SUBNET = '10.77.0';

export interface DemoHost {
  node: string;
  netns: string;
  /** The agent's address on the bridge. */
  address: string;
}

export interface Topology {
  bridge: string;
  /** Where the root namespace answers on the bridge (NATS listens here). */
  bridgeAddress: string;
  hosts: DemoHost[];
}

export class TopologyError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TopologyError';
  }
}
export const isTopologyError = (e: unknown): e is TopologyError => e instanceof Error && e.name === 'TopologyError';

function ip(...args: string[]): string {
  try {
    return execFileSync('ip', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    const stderr = (err as { stderr?: string }).stderr?.trim();
    throw new TopologyError(`ip ${args.join(' ')}: ${stderr || (err as Error).message}`, { cause: err });
  }
}

function tryIp(...args: string[]): void {
  try {
    ip(...args);
  } catch {
    /* already gone */
  }
}

/** Runs a command inside a host's namespace. */
export function inNetns(netns: string, cmd: string, args: readonly string[]): [string, string[]] {
  return ['ip', ['netns', 'exec', netns, cmd, ...args]];
}

/**
 * The capture pair in a namespace (a node's, or one of the demo's): traffic sent out of tx0 arrives
 * on tap0, where an agent captures. Replaces a pair left by an earlier run.
 */
export function addCapturePair(netns: string): void {
  tryIp('-n', netns, 'link', 'delete', SENDER_IF);
  ip('-n', netns, 'link', 'add', SENDER_IF, 'type', 'veth', 'peer', 'name', CAPTURE_IF);
  // No IPv6 on the capture pair: the kernel's own router solicitations and DAD would be captured too.
  for (const dev of [SENDER_IF, CAPTURE_IF]) {
    ip('netns', 'exec', netns, 'sysctl', '-qw', `net.ipv6.conf.${dev}.disable_ipv6=1`);
    // Jumbo MTU: some generated frames (VLAN-tagged full-size segments) exceed 1514 bytes.
    ip('-n', netns, 'link', 'set', dev, 'mtu', '9000', 'up');
  }
}

export function destroyTopology(): void {
  for (const line of ip('netns', 'list').split('\n')) {
    const name = line.split(' ')[0];
    if (name?.startsWith(PREFIX)) tryIp('netns', 'delete', name);
  }
  tryIp('link', 'delete', BRIDGE);
}

export function createTopology(nodes: readonly string[]): Topology {
  if (process.getuid?.() !== 0) throw new TopologyError('the demo network needs root (network namespaces and veth pairs)');
  if (nodes.length > 200) throw new TopologyError(`too many nodes for one /24: ${nodes.length}`);
  destroyTopology();
  const bridgeAddress = `${SUBNET}.1`;
  ip('link', 'add', BRIDGE, 'type', 'bridge');
  ip('addr', 'add', `${bridgeAddress}/24`, 'dev', BRIDGE);
  ip('link', 'set', BRIDGE, 'up');
  const hosts = nodes.map((node, i) => {
    const netns = `${PREFIX}${i}`;
    const address = `${SUBNET}.${10 + i}`;
    const hostEnd = `tldemo${i}h`;
    ip('netns', 'add', netns);
    ip('-n', netns, 'link', 'set', 'lo', 'up');
    ip('link', 'add', hostEnd, 'type', 'veth', 'peer', 'name', 'ctl0', 'netns', netns);
    ip('link', 'set', hostEnd, 'master', BRIDGE, 'up');
    ip('-n', netns, 'addr', 'add', `${address}/24`, 'dev', 'ctl0');
    ip('-n', netns, 'link', 'set', 'ctl0', 'up');
    addCapturePair(netns);
    return { node, netns, address };
  });
  return { bridge: BRIDGE, bridgeAddress, hosts };
}
