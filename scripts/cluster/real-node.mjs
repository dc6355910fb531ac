// A real Kubernetes node on this machine: a kubelet and a containerd of its own (runc, bridge CNI)
// in the node's network namespace (node-network.mjs), its pods' cgroups under a cgroup root of its
// own, its state under <cluster dir>/nodes/<name> and /run/tapline/<name> (short: unix sockets).
// Nodes never share a containerd: two kubelets on one containerd take each other's pods for
// orphans and kill them.
//
// Traps of this machine that the configuration below gets past (../shared/notes/real-nodes.md):
// CAP_SYS_RESOURCE is not in the bounding set (restrict_oom_score_adj), cgroups v1 without a
// hugetlb hierarchy (failCgroupV1: false, disable_hugetlb_controller), RLIMIT_NOFILE 20000
// (maxOpenFiles), no registry (images imported from OCI archives, the sandbox image pinned).
import { spawnSync } from 'node:child_process';
import {
  existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, realpathSync, rmSync, rmdirSync, writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';

import { DEBIAN_NODE_TOOLS } from './node-tools.mjs';
import { MTU, nodeNet, setUpNodeNetwork, tearDownNodeNetwork } from './node-network.mjs';
import { waitFor } from './kube-client.mjs';
import { issue } from './pki.mjs';
import { writeKubeconfig } from './kubeconfig.mjs';
import { isOurProcess, startProcess, stopProcess } from './processes.mjs';
import { sleep } from './util.mjs';

export const RUNTIME_ROOT = '/run/tapline';
const CGROUP_V1 = '/sys/fs/cgroup';
const CONTAINER_LOG_LINKS = '/var/log/containers'; // the kubelet's, fixed whatever --root-dir says
const DEVICE_PLUGIN_DIR = '/var/lib/kubelet'; // the device-plugin socket ignores --root-dir too

export class RealNodeError extends Error {
  constructor(message, options) {
    super(message, options);
    this.name = 'RealNodeError';
  }
}
export const isRealNodeError = (e) => e instanceof Error && e.name === 'RealNodeError';

/** Where real node `name` keeps its things. */
export function nodePaths(clusterDir, name) {
  const dir = join(clusterDir, 'nodes', name);
  const run = join(RUNTIME_ROOT, name);
  return {
    dir,
    run,
    containerdConfig: join(dir, 'containerd.toml'),
    containerdRoot: join(dir, 'containerd'),
    containerdState: join(run, 'containerd'),
    socket: join(run, 'containerd.sock'),
    runcRoot: join(run, 'runc'),
    cniConfDir: join(dir, 'cni', 'net.d'),
    cniIpamDir: join(dir, 'cni', 'ipam'),
    kubeletRoot: join(dir, 'kubelet'),
    kubeletCerts: join(dir, 'kubelet-pki'),
    kubeletConfig: join(dir, 'kubelet-config.json'),
    kubeconfig: join(dir, 'kubelet.kubeconfig'),
    podLogs: join(dir, 'pod-logs'),
    cgroupRoot: `/${name}`,
  };
}

/** The mounted cgroup v1 hierarchies (cpu and cpuacct may be one, mounted twice). */
function cgroupHierarchies() {
  const seen = new Map();
  for (const e of readdirSync(CGROUP_V1)) {
    if (e === 'unified') continue; // the v2 hierarchy of a hybrid set-up: the kubelet uses v1
    const p = join(CGROUP_V1, e);
    try {
      if (!lstatSync(p).isDirectory()) continue; // cpu -> cpu,cpuacct links
      const real = realpathSync(p);
      if (!seen.has(real)) seen.set(real, real);
    } catch { /* not a hierarchy */ }
  }
  return [...seen.values()];
}

/** The kubelet wants its --cgroup-root in every hierarchy; cpuset needs cpus and mems set first. */
function makeCgroupRoot(cgroupRoot) {
  for (const h of cgroupHierarchies()) {
    const d = join(h, cgroupRoot);
    mkdirSync(d, { recursive: true });
    if (existsSync(join(h, 'cpuset.cpus'))) {
      for (const f of ['cpuset.cpus', 'cpuset.mems']) writeFileSync(join(d, f), readFileSync(join(h, f)));
    }
  }
}

function killCgroupTasks(dir) {
  for (const e of readdirSync(dir, { withFileTypes: true })) if (e.isDirectory()) killCgroupTasks(join(dir, e.name));
  let pids = [];
  try { pids = readFileSync(join(dir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean).map(Number); } catch { /* gone */ }
  for (const pid of pids) {
    try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
  }
}

function removeCgroupTree(dir) {
  for (const e of readdirSync(dir, { withFileTypes: true })) if (e.isDirectory()) removeCgroupTree(join(dir, e.name));
  rmdirSync(dir);
}

async function removeCgroupRoot(cgroupRoot) {
  for (const h of cgroupHierarchies()) {
    const d = join(h, cgroupRoot);
    if (!existsSync(d)) continue;
    killCgroupTasks(d);
    for (let attempt = 0; ; attempt++) {
      try {
        removeCgroupTree(d);
        break;
      } catch (e) {
        if (attempt >= 50) throw new RealNodeError(`cannot remove cgroup ${d}: ${e.message}`, { cause: e });
        await sleep(100); // killed tasks leave the cgroup asynchronously
      }
    }
  }
}

/** Mount points under any of `dirs`, deepest first (from /proc/self/mountinfo). */
export function mountsUnder(dirs) {
  const unescape = (s) => s.replace(/\\([0-7]{3})/g, (_, o) => String.fromCharCode(parseInt(o, 8)));
  const points = readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter(Boolean).map((l) => unescape(l.split(' ')[4]));
  return points.filter((p) => dirs.some((d) => p === d || p.startsWith(`${d}/`))).sort((a, b) => b.length - a.length);
}

function unmountAll(dirs) {
  for (let pass = 0; pass < 5; pass++) {
    const points = mountsUnder(dirs);
    if (points.length === 0) return;
    for (const p of points) spawnSync('umount', ['-l', p]);
  }
  const left = mountsUnder(dirs);
  if (left.length) throw new RealNodeError(`cannot unmount ${left.join(', ')}`);
}

export function containerdConfig(p, { pauseImage }) {
  // Version 3 is containerd 2.x's format (plugin ids io.containerd.cri.v1.*).
  return `version = 3
root = ${JSON.stringify(p.containerdRoot)}
state = ${JSON.stringify(p.containerdState)}

[grpc]
  address = ${JSON.stringify(p.socket)}

[ttrpc]
  address = ${JSON.stringify(`${p.socket}.ttrpc`)}

[plugins.'io.containerd.cri.v1.images']
  snapshotter = 'overlayfs'
  [plugins.'io.containerd.cri.v1.images'.pinned_images]
    # No registry: the pause image is built here and imported; pinned so image GC keeps it.
    sandbox = ${JSON.stringify(pauseImage)}

[plugins.'io.containerd.cri.v1.runtime']
  # CAP_SYS_RESOURCE is missing from this machine's bounding set: lowering oom_score_adj fails.
  restrict_oom_score_adj = true
  # cgroups v1 here has no hugetlb hierarchy; hugepages are still accounted by the kubelet.
  tolerate_missing_hugetlb_controller = true
  disable_hugetlb_controller = true
  # Pod network namespaces under this node's state directory: teardown finds them all there.
  netns_mounts_under_state_dir = true
  [plugins.'io.containerd.cri.v1.runtime'.containerd]
    default_runtime_name = 'runc'
    [plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc]
      runtime_type = 'io.containerd.runc.v2'
      [plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc.options]
        BinaryName = ${JSON.stringify(DEBIAN_NODE_TOOLS.runc)}
        Root = ${JSON.stringify(p.runcRoot)}
        SystemdCgroup = false
  [plugins.'io.containerd.cri.v1.runtime'.cni]
    bin_dirs = [${JSON.stringify(DEBIAN_NODE_TOOLS.cniBinDir)}]
    conf_dir = ${JSON.stringify(p.cniConfDir)}

[plugins.'io.containerd.grpc.v1.cri']
  stream_server_address = '127.0.0.1'
`;
}

function cniConfig(p, net) {
  return {
    cniVersion: '1.0.0',
    name: 'tapline-pods',
    plugins: [{
      type: 'bridge',
      bridge: 'cni0',
      isGateway: true,
      mtu: MTU,
      ipMasq: false, // pods talk only to the switch, which routes back to them: no NAT rules to clean
      hairpinMode: true,
      ipam: { type: 'host-local', ranges: [[{ subnet: net.podCidr, gateway: net.podGateway }]], routes: [{ dst: '0.0.0.0/0' }], dataDir: p.cniIpamDir },
    }],
  };
}

export function kubeletConfig(p, { caFile, clusterDNS }) {
  return {
    apiVersion: 'kubelet.config.k8s.io/v1beta1',
    kind: 'KubeletConfiguration',
    // kubelet 1.35+ refuses cgroups v1 unless told otherwise; this machine has v1 (hybrid).
    failCgroupV1: false,
    cgroupDriver: 'cgroupfs',
    cgroupRoot: p.cgroupRoot,
    cgroupsPerQOS: true,
    enforceNodeAllocatable: ['pods'],
    containerRuntimeEndpoint: `unix://${p.socket}`,
    imageServiceEndpoint: `unix://${p.socket}`,
    // The hard RLIMIT_NOFILE here is 20000; the default (1000000) fails.
    maxOpenFiles: 20000,
    failSwapOn: false,
    podLogsDir: p.podLogs,
    authentication: { anonymous: { enabled: false }, webhook: { enabled: true }, x509: { clientCAFile: caFile } },
    authorization: { mode: 'Webhook' },
    readOnlyPort: 0,
    healthzBindAddress: '127.0.0.1',
    clusterDomain: 'cluster.local',
    clusterDNS,
    resolvConf: '/etc/resolv.conf',
    serializeImagePulls: false,
    // Test nodes on a shared disk: no image garbage collection or disk-pressure eviction surprises.
    imageGCHighThresholdPercent: 100,
    evictionHard: { 'memory.available': '100Mi', 'nodefs.available': '1%', 'imagefs.available': '1%' },
    nodeStatusUpdateFrequency: '4s',
    syncFrequency: '10s',
    fileCheckFrequency: '10s',
    shutdownGracePeriod: '0s',
  };
}

function ctr(bins, p, args) {
  const r = spawnSync(bins.ctr, ['--address', p.socket, '--namespace', 'k8s.io', ...args], { encoding: 'utf8' });
  if (r.status !== 0) throw new RealNodeError(`ctr ${args.join(' ')} failed: ${(r.stderr || r.stdout).trim()}`);
  return r.stdout;
}

/** Imports OCI archives (images built here) into the node's containerd, for pods with imagePullPolicy Never/IfNotPresent. */
export function importImages(bins, p, archives) {
  for (const a of archives) ctr(bins, p, ['images', 'import', '--no-unpack=false', a]);
}

/**
 * Starts real node `index` (network namespace, containerd, images, kubelet) and resolves once its
 * containerd answers and its kubelet runs; the caller waits for the Node to turn Ready.
 * `record(proc)` is called for each process started, so the caller's state file lists them.
 *
 * @param {object} o
 * @param {string} o.clusterDir
 * @param {number} o.index
 * @param {string} o.name
 * @param {Record<string,string>} o.labels
 * @param {{kubelet:string, containerd:string, ctr:string, shim:string}} o.bins
 * @param {{dir:string, caCert:string, caKey:string}} o.pki
 * @param {string} o.server            the API server as the node reaches it
 * @param {number} o.apiserverPort
 * @param {string} o.pauseImage
 * @param {string[]} o.imageArchives   OCI archives to import (the pause image's among them)
 * @param {string} o.logDir
 * @param {(p: object) => void} o.record
 * @param {number} [o.timeoutMs]
 */
export async function startRealNode(o) {
  const timeoutMs = o.timeoutMs ?? 120_000;
  const p = nodePaths(o.clusterDir, o.name);
  const net = setUpNodeNetwork(o.index, { apiserverPort: o.apiserverPort });
  for (const d of [p.dir, p.run, p.cniConfDir, p.cniIpamDir, p.kubeletRoot, p.kubeletCerts, p.podLogs]) mkdirSync(d, { recursive: true });
  makeCgroupRoot(p.cgroupRoot);

  writeFileSync(p.containerdConfig, containerdConfig(p, { pauseImage: o.pauseImage }));
  writeFileSync(join(p.cniConfDir, '10-tapline-pods.conflist'), `${JSON.stringify(cniConfig(p, net), null, 2)}\n`);
  // The shim containerd starts must be ours (containerd 2.x), not Debian's 1.x one in /usr/bin.
  const env = { ...process.env, PATH: `${dirname(o.bins.shim)}:${process.env.PATH}` };
  const containerd = startProcess({
    name: `${o.name}-containerd`, bin: o.bins.containerd, args: ['--config', p.containerdConfig, '--log-level', 'warn'],
    logDir: o.logDir, env, cwd: p.dir, netns: net.netns,
  });
  o.record({ name: containerd.name, pid: containerd.pid, bin: containerd.bin, logPath: containerd.logPath, node: o.name });
  const alive = (proc) => () => {
    const ex = proc.exited();
    if (ex) throw new RealNodeError(`${proc.name} exited (${ex.signal ?? `code ${ex.code}`}); see ${proc.logPath}`);
  };
  await waitFor(`${containerd.name} to answer`, () => spawnSync(o.bins.ctr, ['--address', p.socket, 'version']).status === 0, { timeoutMs, abortIf: alive(containerd) });
  importImages(o.bins, p, o.imageArchives);

  // The kubelet's identity: system:node:<name> in system:nodes, so the Node authorizer and the
  // NodeRestriction admission plugin confine it to its own Node and pods, as in a real cluster.
  const cert = issue(o.pki.dir, `kubelet-${o.name}`, { cn: `system:node:${o.name}`, o: ['system:nodes'], client: true });
  writeKubeconfig(p.kubeconfig, { server: o.server, caFile: o.pki.caCert, certFile: cert.cert, keyFile: cert.key, user: `system:node:${o.name}` });
  writeFileSync(p.kubeletConfig, `${JSON.stringify(kubeletConfig(p, { caFile: o.pki.caCert, clusterDNS: [] }), null, 2)}\n`);
  const labels = Object.entries(o.labels).map(([k, v]) => `${k}=${v}`).join(',');
  const kubelet = startProcess({
    name: `${o.name}-kubelet`,
    bin: o.bins.kubelet,
    args: [
      `--config=${p.kubeletConfig}`,
      `--kubeconfig=${p.kubeconfig}`,
      `--root-dir=${p.kubeletRoot}`,
      `--cert-dir=${p.kubeletCerts}`,
      `--hostname-override=${o.name}`,
      `--node-ip=${net.address}`,
      `--node-labels=${labels}`,
      '--v=1',
    ],
    logDir: o.logDir, env, cwd: p.dir, netns: net.netns,
  });
  o.record({ name: kubelet.name, pid: kubelet.pid, bin: kubelet.bin, logPath: kubelet.logPath, node: o.name });
  return { name: o.name, index: o.index, address: net.address, netns: net.netns, podCidr: net.podCidr, paths: p, kubelet, containerd, assertAlive: () => { alive(kubelet)(); alive(containerd)(); } };
}

/** Shims serving this node's containerd (found by their -address argument). */
function shimPids(socket) {
  const out = [];
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const argv = readFileSync(`/proc/${e}/cmdline`, 'utf8').split('\0');
      if (argv[0].endsWith('containerd-shim-runc-v2') && argv.includes(socket)) out.push(Number(e));
    } catch { /* exited */ }
  }
  return out;
}

function killContainers(p) {
  if (!existsSync(p.runcRoot)) return;
  for (const ns of readdirSync(p.runcRoot)) {
    const root = join(p.runcRoot, ns);
    const r = spawnSync(DEBIAN_NODE_TOOLS.runc, ['--root', root, 'list', '--format', 'json'], { encoding: 'utf8' });
    let list = [];
    try { list = JSON.parse(r.stdout || '[]') ?? []; } catch { /* none */ }
    for (const c of list) spawnSync(DEBIAN_NODE_TOOLS.runc, ['--root', root, 'delete', '--force', c.id]);
  }
}

/**
 * Stops real node `name` and removes everything it made: kubelet, containers, shims, containerd,
 * mounts, cgroups, files, its network namespace. `processes`: its entries of the state file.
 */
export async function stopRealNode({ clusterDir, name, index, processes, graceMs = 10_000 }) {
  const p = nodePaths(clusterDir, name);
  const kubelet = processes.find((x) => x.name === `${name}-kubelet`);
  const containerd = processes.find((x) => x.name === `${name}-containerd`);
  if (kubelet) await stopProcess(kubelet, { graceMs });
  killContainers(p);
  for (const pid of shimPids(p.socket)) {
    try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
  }
  if (containerd) await stopProcess(containerd, { graceMs });
  unmountAll([p.dir, p.run]);
  await removeCgroupRoot(p.cgroupRoot);
  if (existsSync(CONTAINER_LOG_LINKS)) {
    for (const l of readdirSync(CONTAINER_LOG_LINKS)) {
      const link = join(CONTAINER_LOG_LINKS, l);
      try {
        if (readlinkSync(link).startsWith(`${p.podLogs}/`)) rmSync(link, { force: true });
      } catch { /* not a link */ }
    }
  }
  rmSync(p.run, { recursive: true, force: true });
  try { rmdirSync(RUNTIME_ROOT); } catch { /* another node's is still there */ }
  rmSync(p.dir, { recursive: true, force: true });
  tearDownNodeNetwork(index);
}

/** What node `name` left behind (for the leftovers check): processes, mounts, cgroups, files. */
export function nodeLeftovers({ clusterDir, name, processes }) {
  const p = nodePaths(clusterDir, name);
  const left = [];
  for (const x of processes) if (isOurProcess(x.pid, x.bin)) left.push(`process ${x.name} (pid ${x.pid})`);
  for (const pid of shimPids(p.socket)) left.push(`shim pid ${pid}`);
  for (const m of mountsUnder([p.dir, p.run])) left.push(`mount ${m}`);
  for (const h of cgroupHierarchies()) if (existsSync(join(h, p.cgroupRoot))) left.push(`cgroup ${join(h, p.cgroupRoot)}`);
  for (const d of [p.dir, p.run]) if (existsSync(d)) left.push(`directory ${d}`);
  return left;
}

/** Reserves 2 MiB hugepages so that the kubelets advertise hugepages-2Mi; returns the old count. */
export function reserveHugepages(pages) {
  const f = '/proc/sys/vm/nr_hugepages';
  const before = Number(readFileSync(f, 'utf8').trim());
  if (pages > before) writeFileSync(f, String(pages));
  const now = Number(readFileSync(f, 'utf8').trim());
  if (now < pages) throw new RealNodeError(`asked for ${pages} 2 MiB hugepages, the kernel gave ${now} (memory too fragmented? free memory?)`);
  return before;
}

export function restoreHugepages(before) {
  if (Number.isInteger(before)) writeFileSync('/proc/sys/vm/nr_hugepages', String(before));
}

export { DEVICE_PLUGIN_DIR };
