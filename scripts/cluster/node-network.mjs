// The network of the harness's real nodes. Each node is a network namespace of its own, as a
// machine has its own network stack: the kubelet, containerd and host-network pods (AF_PACKET
// agents) see only that node's interfaces, two nodes' agents can both listen on their metrics
// port, and a capture on one node never sees another node's traffic.
//
//   root namespace                          node namespace tapline-node-<i>
//   ─────────────────────────────           ──────────────────────────────────────────────
//   tlsw0 10.201.0.1/24 (switch) ◄──veth──► eth0 10.201.0.<11+i>/24  (node InternalIP)
//     kube-apiserver, nats-server            cni0 10.200.<i>.1/24 (bridge CNI: pod network)
//     listen on 10.201.0.1                   DNAT 10.96.0.1:443 -> 10.201.0.1:<apiserver port>
//   10.200.<i>.0/24 via 10.201.0.<11+i>      (what kube-proxy does for the `kubernetes` Service)
//
// The root namespace keeps ip_forward as it is (0 on these machines) and drops anything forwarded
// from or to the switch, so nothing from a node or pod leaves through the machine's own NIC. Every
// address is on links the harness makes; teardown removes the bridge, the namespaces and the rules.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

export const SWITCH = Object.freeze({ bridge: 'tlsw0', address: '10.201.0.1', prefix: 24 });
/**
 * Jumbo frames on every link of the node network (switch, uplinks, pod bridge and veths): generated
 * test traffic has full-size VLAN-tagged frames over 1514 bytes, replayed onto pod interfaces.
 */
export const MTU = 9000;
export const SERVICE_IP = '10.96.0.1';
export const SERVICE_CIDR = '10.96.0.0/16';
const RULE_COMMENT = 'tapline-harness';

export class NodeNetworkError extends Error {
  constructor(message, options) {
    super(message, options);
    this.name = 'NodeNetworkError';
  }
}
export const isNodeNetworkError = (e) => e instanceof Error && e.name === 'NodeNetworkError';

/** Names and addresses of real node `i`. */
export function nodeNet(i) {
  if (!Number.isInteger(i) || i < 0 || i > 200) throw new NodeNetworkError(`real node index must be 0..200, got ${i}`);
  return {
    netns: `tapline-node-${i}`,
    hostVeth: `tlsw-n${i}`,
    address: `10.201.0.${11 + i}`,
    podCidr: `10.200.${i}.0/24`,
    podGateway: `10.200.${i}.1`,
  };
}

function sh(cmd, args, { allowFail = false, input } = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', input });
  if (r.error?.code === 'ENOENT') throw new NodeNetworkError(`'${cmd}' is missing (apt-get install iproute2 iptables)`, { cause: r.error });
  if (r.status !== 0 && !allowFail) throw new NodeNetworkError(`${cmd} ${args.join(' ')} failed: ${(r.stderr || r.stdout).trim()}`);
  return r;
}
const ip = (...a) => sh('ip', a);
const inNs = (netns, cmd, args, o) => sh('ip', ['netns', 'exec', netns, cmd, ...args], o);

const linkExists = (name) => existsSync(`/sys/class/net/${name}`);
const netnsExists = (name) => existsSync(`/run/netns/${name}`);

/** The root namespace's side: the switch bridge and the rules that keep node traffic on it. */
export function setUpSwitch() {
  if (linkExists(SWITCH.bridge)) {
    throw new NodeNetworkError(`${SWITCH.bridge} exists already: another real-node cluster runs on this machine (stop it: npm run cluster:down), or one was not cleaned up`);
  }
  ip('link', 'add', SWITCH.bridge, 'mtu', String(MTU), 'type', 'bridge');
  ip('addr', 'add', `${SWITCH.address}/${SWITCH.prefix}`, 'dev', SWITCH.bridge);
  ip('link', 'set', SWITCH.bridge, 'up');
  for (const dir of ['-i', '-o']) {
    sh('iptables', ['-I', 'FORWARD', dir, SWITCH.bridge, '-m', 'comment', '--comment', RULE_COMMENT, '-j', 'DROP']);
  }
}

/** Node `i`'s namespace, uplink, routes and the DNAT for the API server's Service address. */
export function setUpNodeNetwork(i, { apiserverPort }) {
  const n = nodeNet(i);
  if (netnsExists(n.netns)) throw new NodeNetworkError(`network namespace ${n.netns} exists already (a stale real node? npm run cluster:down)`);
  ip('netns', 'add', n.netns);
  ip('link', 'add', n.hostVeth, 'mtu', String(MTU), 'type', 'veth', 'peer', 'name', 'eth0', 'mtu', String(MTU), 'netns', n.netns);
  ip('link', 'set', n.hostVeth, 'master', SWITCH.bridge, 'up');
  inNs(n.netns, 'ip', ['link', 'set', 'lo', 'up']);
  inNs(n.netns, 'ip', ['addr', 'add', `${n.address}/${SWITCH.prefix}`, 'dev', 'eth0']);
  inNs(n.netns, 'ip', ['link', 'set', 'eth0', 'up']);
  // Pods reach the switch (API server, NATS) through the node, as on a real node's uplink.
  inNs(n.netns, 'sysctl', ['-q', '-w', 'net.ipv4.ip_forward=1']);
  // Service addresses go to the switch; the one that is served is rewritten before it leaves.
  inNs(n.netns, 'ip', ['route', 'add', SERVICE_CIDR, 'via', SWITCH.address]);
  for (const chain of ['PREROUTING', 'OUTPUT']) {
    inNs(n.netns, 'iptables', ['-t', 'nat', '-A', chain, '-d', `${SERVICE_IP}/32`, '-p', 'tcp', '--dport', '443',
      '-j', 'DNAT', '--to-destination', `${SWITCH.address}:${apiserverPort}`]);
  }
  // Replies to pods come back through their node.
  ip('route', 'add', n.podCidr, 'via', n.address, 'dev', SWITCH.bridge);
  return n;
}

/** Removes node `i`'s namespace (its veths and pod bridge go with it). */
export function tearDownNodeNetwork(i) {
  const n = nodeNet(i);
  if (netnsExists(n.netns)) sh('ip', ['netns', 'del', n.netns], { allowFail: true });
  if (linkExists(n.hostVeth)) sh('ip', ['link', 'del', n.hostVeth], { allowFail: true });
}

/** Removes the switch and its rules. */
export function tearDownSwitch() {
  if (linkExists(SWITCH.bridge)) sh('ip', ['link', 'del', SWITCH.bridge], { allowFail: true });
  for (const dir of ['-i', '-o']) {
    // -D until it fails: a rule added twice by an interrupted run goes too.
    for (let k = 0; k < 8; k++) {
      const r = sh('iptables', ['-D', 'FORWARD', dir, SWITCH.bridge, '-m', 'comment', '--comment', RULE_COMMENT, '-j', 'DROP'], { allowFail: true });
      if (r.status !== 0) break;
    }
  }
}

/** What of the network is still there (for the leftovers check): link and netns names, rules. */
export function networkLeftovers(indices) {
  const left = [];
  if (linkExists(SWITCH.bridge)) left.push(`link ${SWITCH.bridge}`);
  for (const i of indices) {
    const n = nodeNet(i);
    if (netnsExists(n.netns)) left.push(`netns ${n.netns}`);
    if (linkExists(n.hostVeth)) left.push(`link ${n.hostVeth}`);
  }
  const rules = sh('iptables', ['-S', 'FORWARD'], { allowFail: true }).stdout ?? '';
  if (rules.includes(RULE_COMMENT)) left.push('iptables FORWARD rules of the harness');
  return left;
}
