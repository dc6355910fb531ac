// startCluster()/stopCluster(): a real control plane on loopback for tests and demos.
//
//   etcd ─ kube-apiserver (RBAC+Node authz, service accounts, default admission)
//            ├─ kube-controller-manager (DaemonSet, GC, ServiceAccount/token, node lifecycle, ...)
//            ├─ kube-scheduler
//            └─ kwok (plays the kubelet of nodes annotated kwok.x-k8s.io/node=fake: node status,
//                     leases, pods Running/Ready, deletion of terminating pods)
//
// Everything lives under `dir` (default test/.cluster, git-ignored): pki/, data/, kubeconfigs/,
// logs/<component>.log, kubeconfig (admin) and state.json (pids, ports) that stopCluster() and
// `npm run cluster:down` use. Ports are picked free on 127.0.0.1 at start; nothing listens
// elsewhere, and node/pod addresses handed out by kwok are loopback addresses too.
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CLUSTER_COMPONENTS, ensureBinaries, pinnedVersions } from './build.mjs';
import { KubeClient, waitFor } from './kube-client.mjs';
import { writeKubeconfig } from './kubeconfig.mjs';
import { defaultClusterDir } from './paths.mjs';
import { CAPTURE_LABEL, DEFAULT_RESOURCES, KWOK_ANNOTATION, MAX_NODES, nodeObject } from './kwok-nodes.mjs';
import { generatePki } from './pki.mjs';
import { assertRunning, freePorts, isOurProcess, startProcess, stopProcess } from './processes.mjs';
import { ensureNodeTools } from './node-tools.mjs';
import { networkLeftovers, SERVICE_CIDR as REAL_SERVICE_CIDR, setUpSwitch, SWITCH, tearDownSwitch } from './node-network.mjs';
import {
  DEVICE_PLUGIN_DIR, nodeLeftovers, reserveHugepages, restoreHugepages, startRealNode, stopRealNode,
} from './real-node.mjs';
import { tailOfFile } from './util.mjs';

export const STATE_FILE = 'state.json';
export { CAPTURE_LABEL, KWOK_ANNOTATION };
const SERVICE_CIDR = REAL_SERVICE_CIDR; // ClusterIP allocation; only the API server's is served (real nodes DNAT it)
const SERVICE_IP = '10.96.0.1';
const STOP_ORDER = ['kwok', 'kube-scheduler', 'kube-controller-manager', 'kube-apiserver', 'etcd'];

export class ClusterError extends Error {
  constructor(message, { component, logPath, interrupted, cause } = {}) {
    super(message, { cause });
    this.name = 'ClusterError';
    this.component = component;
    this.logPath = logPath;
    this.interrupted = interrupted; // 'SIGINT' | 'SIGTERM' when start was interrupted
  }
}
export const isClusterError = (e) => e instanceof Error && e.name === 'ClusterError';

/** The state.json of `dir`, or undefined. */
export function readState(dir = defaultClusterDir()) {
  try {
    return JSON.parse(readFileSync(join(dir, STATE_FILE), 'utf8'));
  } catch {
    return undefined;
  }
}

function writeState(dir, state) {
  const p = join(dir, STATE_FILE);
  writeFileSync(`${p}.tmp`, `${JSON.stringify(state, null, 2)}\n`);
  renameSync(`${p}.tmp`, p);
}

/** A KubeClient with the admin identity of a cluster handle (or state). */
export function kubeClient(handle) {
  return new KubeClient({ server: handle.server, caFile: handle.caFile, certFile: handle.certFile, keyFile: handle.keyFile });
}

function handleFromState(state, startedByUs) {
  return {
    dir: state.dir,
    kubeconfigPath: state.kubeconfigPath,
    server: state.server,
    caFile: state.caFile,
    certFile: state.certFile,
    keyFile: state.keyFile,
    statePath: join(state.dir, STATE_FILE),
    logDir: state.logDir,
    binDir: state.binDir,
    kubectl: state.kubectl,
    bins: state.bins,
    realNodes: state.realNodes ?? [],
    hostAddress: state.hostAddress ?? '127.0.0.1',
    versions: state.versions,
    ports: state.ports,
    nodes: state.nodes,
    captureLabel: CAPTURE_LABEL,
    pids: Object.fromEntries(state.processes.map((p) => [p.name, p.pid])),
    startedByUs,
  };
}

/** True when every recorded process still runs and the API server answers /readyz. */
export async function isClusterHealthy(state) {
  if (!state?.processes?.length) return false;
  if (!STOP_ORDER.every((n) => state.processes.some((p) => p.name === n && isOurProcess(p.pid, p.bin)))) return false;
  try {
    const r = await kubeClient(state).raw('GET', '/readyz', { timeoutMs: 5_000 });
    return r.status === 200;
  } catch {
    return false;
  }
}

function probe(url, { insecure = false, timeoutMs = 3_000 } = {}) {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const req = (u.protocol === 'https:' ? httpsRequest : httpRequest)(u, { method: 'GET', rejectUnauthorized: !insecure, timeout: timeoutMs }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('timeout', () => req.destroy(new Error(`no answer from ${url}`)));
    req.on('error', reject);
    req.end();
  });
}

export { MAX_NODES };

/**
 * Starts a cluster and resolves when it is usable: API server ready, controllers and scheduler
 * healthy, the default ServiceAccount created, every kwok node Ready.
 *
 * @param {object}   [o]
 * @param {string}   [o.dir]            default test/.cluster (or $TAPLINE_CLUSTER_DIR)
 * @param {number}   [o.nodes=3]        kwok nodes kwok-node-0..N-1
 * @param {number}   [o.captureNodes]   how many of them (the first ones) get tapline.dev/capture=true; default nodes-1 (at least 1)
 * @param {(i:number)=>Record<string,string>} [o.nodeLabels]  extra labels per node
 * @param {Record<string,string>} [o.nodeResources]  extra capacity/allocatable (e.g. {'intel.com/sriov': '8'})
 * @param {boolean}  [o.reuse=false]    return the healthy cluster already running in `dir` instead of failing
 * @param {boolean}  [o.withKubectl=true] also build kubectl (it shares almost all its packages: ~20 s of CPU on a cold build)
 * @param {Record<string,string[]>} [o.extraArgs]  more flags per component, e.g. {'kube-apiserver': ['--feature-gates=...']}
 * @param {number}   [o.realNodes=0]    real nodes real-node-0..N-1 (kubelet + containerd each, in a network
 *                                      namespace of their own: scripts/cluster/real-node.mjs); needs root
 * @param {(i:number)=>Record<string,string>} [o.realNodeLabels]  labels per real node
 * @param {number}   [o.hugepages=256]   2 MiB hugepages reserved before the kubelets start (with real nodes)
 * @param {{pause:{ref:string,archive:string}, archives?:string[]}} [o.images]  images for the real nodes'
 *                                      containerd (default: scripts/images ensureImages(), all of them)
 * @param {number}   [o.timeoutMs=120000] limit for each readiness wait
 * @param {(msg:string)=>void} [o.log]
 * @returns {Promise<ClusterHandle>}
 */
export async function startCluster(o = {}) {
  const dir = o.dir ?? defaultClusterDir();
  const log = o.log ?? ((m) => process.stderr.write(`[cluster] ${m}\n`));
  const nodes = o.nodes ?? 3;
  const captureNodes = o.captureNodes ?? Math.max(1, nodes - 1);
  const timeoutMs = o.timeoutMs ?? 120_000;
  if (!Number.isInteger(nodes) || nodes < 0 || nodes > MAX_NODES) throw new ClusterError(`nodes must be an integer 0..${MAX_NODES}, got ${nodes}`);

  const existing = readState(dir);
  if (existing) {
    const alive = existing.processes.filter((p) => isOurProcess(p.pid, p.bin));
    if (alive.length > 0) {
      if (o.reuse && await isClusterHealthy(existing)) {
        log(`reusing the cluster already running from ${dir} (${existing.server})`);
        return handleFromState(existing, false);
      }
      if (!o.reuse) {
        throw new ClusterError(`a cluster is already running from ${dir} (${alive.map((p) => `${p.name} pid ${p.pid}`).join(', ')}); stop it with 'npm run cluster:down' or pass reuse`);
      }
      log(`the cluster recorded in ${dir} is unhealthy: stopping it and starting afresh`);
    }
    await stopCluster({ dir, log: () => {} });
  }

  const t0 = Date.now();
  const realNodes = o.realNodes ?? 0;
  if (!Number.isInteger(realNodes) || realNodes < 0 || realNodes > 8) throw new ClusterError(`realNodes must be an integer 0..8, got ${realNodes}`);
  if (realNodes > 0 && process.getuid?.() !== 0) throw new ClusterError('real nodes need root (network namespaces, cgroups, mounts)');
  let nodeTools;
  let images;
  if (realNodes > 0) {
    try {
      nodeTools = (await ensureNodeTools({ log })).bins;
      images = o.images ?? await defaultImages(log);
    } catch (e) {
      throw new ClusterError(`cannot build what real nodes need: ${e.message}`, { cause: e });
    }
  }
  const want = (o.withKubectl ?? true) ? [...CLUSTER_COMPONENTS, 'kubectl'] : [...CLUSTER_COMPONENTS];
  let built;
  try {
    built = await ensureBinaries(want, { log });
  } catch (e) {
    throw new ClusterError(`cannot build the control-plane binaries: ${e.message}`, { cause: e, component: e.components?.join(',') });
  }
  const bins = { ...built.bins };
  if (!bins.kubectl && existsSync(join(built.dir, 'kubectl'))) bins.kubectl = join(built.dir, 'kubectl');

  // Fresh directory (a stale one was cleaned by stopCluster above).
  rmSync(dir, { recursive: true, force: true });
  const logDir = join(dir, 'logs');
  const dataDir = join(dir, 'data');
  const kcDir = join(dir, 'kubeconfigs');
  for (const d of [logDir, dataDir, kcDir]) mkdirSync(d, { recursive: true });
  // With real nodes the API server listens on the switch (node-network.mjs), which this host and
  // every node namespace reach; without, on loopback only.
  const apiAddress = realNodes > 0 ? SWITCH.address : '127.0.0.1';
  const pki = generatePki(join(dir, 'pki'), { serviceIP: SERVICE_IP, extraIPs: realNodes > 0 ? [SWITCH.address] : [] });

  const [etcdPort, etcdPeerPort, apiPort, kcmPort, schedPort, kwokPort] = await freePorts(6);
  const server = `https://${apiAddress}:${apiPort}`;
  const kubeconfigPath = join(dir, 'kubeconfig');
  const state = {
    version: 1,
    dir,
    startedAt: new Date().toISOString(),
    server,
    kubeconfigPath,
    caFile: pki.caCert,
    certFile: pki.clients.admin.cert,
    keyFile: pki.clients.admin.key,
    logDir,
    binDir: built.dir,
    bins,
    kubectl: bins.kubectl,
    versions: pinnedVersions(),
    ports: { etcd: etcdPort, etcdPeer: etcdPeerPort, apiserver: apiPort, kubeControllerManager: kcmPort, kubeScheduler: schedPort, kwok: kwokPort },
    nodes: [],
    realNodes: [],
    hostAddress: apiAddress,
    processes: [],
  };
  writeState(dir, state);

  const started = [];
  const start = (name, args, env = process.env) => {
    const fullArgs = [...args, ...(o.extraArgs?.[name] ?? [])];
    const p = startProcess({ name, bin: bins[name], args: fullArgs, logDir, env, cwd: dir });
    started.push(p);
    // args (and a HOME override) are kept so restartComponent() can start the same process again.
    state.processes.push({ name, pid: p.pid, bin: p.bin, logPath: p.logPath, args: fullArgs, ...(env.HOME !== process.env.HOME ? { home: env.HOME } : {}) });
    writeState(dir, state);
    return p;
  };
  // Ctrl-C / SIGTERM (CLI use): the current wait gives up within its poll interval and the
  // failure path below stops everything started so far.
  let interrupted;
  const checkInterrupt = () => {
    if (interrupted) throw new ClusterError(`interrupted by ${interrupted}`, { interrupted });
  };
  const aborted = (p) => () => {
    checkInterrupt();
    assertRunning(p);
  };
  let onSignal;
  if (o.handleSignals) {
    onSignal = (sig) => {
      if (!interrupted) log(`${sig}: stopping what was started`);
      interrupted = sig;
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  }

  try {
    if (realNodes > 0) {
      // Recorded before each step, so a failed start (or `cluster:down`) undoes exactly what was done.
      state.switch = true;
      state.createdDevicePluginDir = !existsSync(DEVICE_PLUGIN_DIR);
      writeState(dir, state);
      setUpSwitch();
      state.hugepagesBefore = reserveHugepages(o.hugepages ?? 256);
      writeState(dir, state);
    }
    // etcd
    const etcd = start('etcd', [
      '--name=default',
      `--data-dir=${join(dataDir, 'etcd')}`,
      `--listen-client-urls=http://127.0.0.1:${etcdPort}`,
      `--advertise-client-urls=http://127.0.0.1:${etcdPort}`,
      `--listen-peer-urls=http://127.0.0.1:${etcdPeerPort}`,
      `--initial-advertise-peer-urls=http://127.0.0.1:${etcdPeerPort}`,
      `--initial-cluster=default=http://127.0.0.1:${etcdPeerPort}`,
      '--initial-cluster-state=new',
      '--unsafe-no-fsync=true', // a test cluster: durability is not wanted, speed is
      '--quota-backend-bytes=2147483648',
      '--log-level=warn',
    ]);
    await waitFor('etcd /health', async () => {
      const r = await probe(`http://127.0.0.1:${etcdPort}/health`);
      return r.status === 200 && /"health":\s*"true"/.test(r.body);
    }, { timeoutMs, abortIf: aborted(etcd) });
    log(`etcd ready on 127.0.0.1:${etcdPort}`);

    // kube-apiserver
    const apiserver = start('kube-apiserver', [
      `--etcd-servers=http://127.0.0.1:${etcdPort}`,
      `--bind-address=${apiAddress}`,
      `--advertise-address=${apiAddress}`,
      `--secure-port=${apiPort}`,
      `--tls-cert-file=${pki.apiserver.cert}`,
      `--tls-private-key-file=${pki.apiserver.key}`,
      `--client-ca-file=${pki.caCert}`,
      '--authorization-mode=Node,RBAC',
      '--enable-admission-plugins=NodeRestriction',
      '--allow-privileged=true', // capture agents may need it; the operator decides per policy
      `--service-cluster-ip-range=${SERVICE_CIDR}`,
      '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
      `--service-account-key-file=${pki.saPub}`,
      `--service-account-signing-key-file=${pki.saKey}`,
      `--requestheader-client-ca-file=${pki.frontProxyCaCert}`,
      '--requestheader-allowed-names=front-proxy-client',
      '--requestheader-username-headers=X-Remote-User',
      '--requestheader-group-headers=X-Remote-Group',
      '--requestheader-extra-headers-prefix=X-Remote-Extra-',
      `--proxy-client-cert-file=${pki.frontProxyClient.cert}`,
      `--proxy-client-key-file=${pki.frontProxyClient.key}`,
      // Towards real kubelets (logs, exec): by node address (node names resolve nowhere here), with
      // a client certificate their webhook authorizer accepts.
      '--kubelet-preferred-address-types=InternalIP,Hostname',
      `--kubelet-client-certificate=${pki.kubeletClient.cert}`,
      `--kubelet-client-key=${pki.kubeletClient.key}`,
      '--endpoint-reconciler-type=none', // 127.0.0.1 is not a valid Endpoints address; no in-cluster clients here
      // Compact etcd every 30 s (default 5 min): old resource versions expire within a test run,
      // so watches really get 410 Gone and the operator's relist path runs as in a busy cluster.
      '--etcd-compaction-interval=30s',
      // PodTemplates skip the watch cache, so their watches go to etcd: after a compaction a
      // watch from an older resourceVersion gets a real 410 Gone (the tests of the relist path).
      '--watch-cache-sizes=podtemplates#0',
      '--profiling=false',
      '--v=0',
    ]);
    const admin = new KubeClient({ server, caFile: pki.caCert, certFile: pki.clients.admin.cert, keyFile: pki.clients.admin.key });
    await waitFor('kube-apiserver /readyz', async () => {
      const r = await admin.raw('GET', '/readyz', { timeoutMs: 5_000 });
      return r.status === 200;
    }, {
      timeoutMs,
      abortIf: aborted(apiserver),
      describe: async () => (await admin.raw('GET', '/readyz?verbose', { timeoutMs: 5_000 })).body.split('\n').filter((l) => l.includes('failed')).join('; '),
    });
    log(`kube-apiserver ready at ${server}`);

    // kubeconfigs
    writeKubeconfig(kubeconfigPath, { server, caFile: pki.caCert, certFile: pki.clients.admin.cert, keyFile: pki.clients.admin.key, user: 'tapline-admin' });
    const kc = {};
    for (const name of ['kube-controller-manager', 'kube-scheduler', 'kwok']) {
      kc[name] = writeKubeconfig(join(kcDir, `${name}.kubeconfig`), {
        server, caFile: pki.caCert, certFile: pki.clients[name].cert, keyFile: pki.clients[name].key, user: name,
      });
    }

    // controller-manager, scheduler, kwok (in parallel)
    const kcm = start('kube-controller-manager', [
      `--kubeconfig=${kc['kube-controller-manager']}`,
      `--authentication-kubeconfig=${kc['kube-controller-manager']}`,
      `--authorization-kubeconfig=${kc['kube-controller-manager']}`,
      '--bind-address=127.0.0.1',
      `--secure-port=${kcmPort}`,
      '--leader-elect=false',
      '--use-service-account-credentials=true', // each controller runs as its own ServiceAccount
      `--service-account-private-key-file=${pki.saKey}`,
      `--root-ca-file=${pki.caCert}`,
      `--cluster-signing-cert-file=${pki.caCert}`,
      `--cluster-signing-key-file=${pki.caKey}`,
      `--service-cluster-ip-range=${SERVICE_CIDR}`,
      '--allocate-node-cidrs=false',
      '--controllers=*',
      '--profiling=false',
      '--v=0',
    ]);
    const sched = start('kube-scheduler', [
      `--kubeconfig=${kc['kube-scheduler']}`,
      `--authentication-kubeconfig=${kc['kube-scheduler']}`,
      `--authorization-kubeconfig=${kc['kube-scheduler']}`,
      '--bind-address=127.0.0.1',
      `--secure-port=${schedPort}`,
      '--leader-elect=false',
      '--profiling=false',
      '--v=0',
    ]);
    const kwokHome = join(dir, 'kwok-home');
    mkdirSync(kwokHome, { recursive: true });
    const kwok = start('kwok', [
      `--kubeconfig=${kc.kwok}`,
      `--config=${built.kwokStages}`,
      '--manage-all-nodes=false',
      `--manage-nodes-with-annotation-selector=${KWOK_ANNOTATION}=fake`,
      '--node-lease-duration-seconds=40',
      '--node-ip=127.0.1.254',
      '--cidr=127.100.255.0/24',
      `--server-address=127.0.0.1:${kwokPort}`,
    ], { ...process.env, HOME: kwokHome }); // kwok also reads ~/.kwok/kwok.yaml: keep it hermetic
    await Promise.all([
      waitFor('kube-controller-manager /healthz', async () => (await probe(`https://127.0.0.1:${kcmPort}/healthz`, { insecure: true })).status === 200, { timeoutMs, abortIf: aborted(kcm) }),
      waitFor('kube-scheduler /healthz', async () => (await probe(`https://127.0.0.1:${schedPort}/healthz`, { insecure: true })).status === 200, { timeoutMs, abortIf: aborted(sched) }),
      waitFor('kwok /healthz', async () => (await probe(`http://127.0.0.1:${kwokPort}/healthz`)).status === 200, { timeoutMs, abortIf: aborted(kwok) }),
    ]);
    log('kube-controller-manager, kube-scheduler and kwok healthy');

    // nodes
    const resources = { ...DEFAULT_RESOURCES, ...o.nodeResources };
    for (let i = 0; i < nodes; i++) {
      checkInterrupt();
      const name = `kwok-node-${i}`;
      const capture = i < captureNodes;
      const obj = nodeObject(name, i, { capture, extraLabels: o.nodeLabels?.(i) ?? {}, resources, kubeletVersion: state.versions['k8s.io/kubernetes'] });
      await admin.create('/api/v1/nodes', obj);
      state.nodes.push({ name, labels: obj.metadata.labels });
    }
    writeState(dir, state);
    const describeNodes = async () => {
      const list = await admin.get('/api/v1/nodes');
      return list.items.map((n) => `${n.metadata.name}: Ready=${n.status?.conditions?.find((c) => c.type === 'Ready')?.status ?? 'none'}`).join(', ');
    };
    if (nodes > 0) {
      await waitFor(`${nodes} kwok nodes Ready`, async () => {
        const list = await admin.get('/api/v1/nodes?labelSelector=type%3Dkwok');
        const ready = list.items.filter((n) => n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'));
        return ready.length >= nodes;
      }, { timeoutMs, abortIf: aborted(kwok), describe: describeNodes });
    }
    for (let i = 0; i < realNodes; i++) {
      checkInterrupt();
      const name = `real-node-${i}`;
      const labels = { type: 'real', ...o.realNodeLabels?.(i) };
      state.realNodes.push({ name, index: i, labels });
      writeState(dir, state);
      const node = await startRealNode({
        clusterDir: dir, index: i, name, labels, bins: nodeTools, pki, server, apiserverPort: apiPort,
        pauseImage: images.pause.ref, imageArchives: [images.pause.archive, ...(images.archives ?? [])],
        logDir, timeoutMs,
        record: (p) => { state.processes.push(p); writeState(dir, state); },
      });
      Object.assign(state.realNodes.at(-1), { address: node.address, netns: node.netns, podCidr: node.podCidr });
      writeState(dir, state);
      state.nodes.push({ name, labels: { 'kubernetes.io/hostname': name, ...labels } });
      started.push(node.kubelet, node.containerd);
    }
    if (realNodes > 0) {
      await waitFor(`${realNodes} real nodes Ready`, async () => {
        const list = await admin.get('/api/v1/nodes?labelSelector=type%3Dreal');
        return list.items.filter((n) => n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')).length >= realNodes;
      }, { timeoutMs, abortIf: () => started.forEach(assertRunning), describe: describeNodes });
      log(`${realNodes} real nodes Ready (kubelet + containerd each, ${state.realNodes.map((n) => `${n.name} ${n.address}`).join(', ')})`);
    }
    // The ServiceAccount controller (in kube-controller-manager) has run: pods can be created.
    await waitFor('ServiceAccount default/default', () => admin.getOrUndefined('/api/v1/namespaces/default/serviceaccounts/default'), { timeoutMs, abortIf: aborted(kcm) });
    for (const p of started) assertRunning(p);
    log(`cluster up in ${((Date.now() - t0) / 1000).toFixed(1)}s: ${nodes} nodes (${captureNodes} labelled ${CAPTURE_LABEL}=true), kubeconfig ${kubeconfigPath}`);
    return handleFromState(state, true);
  } catch (e) {
    const component = e.component ?? undefined;
    // A timeout names no component: show every log's tail, read before the shutdown noise.
    const detail = component || e.name !== 'WaitTimeoutError' ? ''
      : `\n${readdirSync(logDir).map((f) => `--- ${join(logDir, f)} (tail)\n${tailOfFile(join(logDir, f), 8)}`).join('\n')}`;
    await stopCluster({ dir, keepLogs: true, log: () => {} });
    if (interrupted) {
      throw new ClusterError(`cluster start interrupted by ${interrupted}; all started processes were stopped (logs kept in ${logDir})`, { cause: e, interrupted });
    }
    throw new ClusterError(`cluster start failed: ${e.message}${detail}\n(all started processes were stopped; logs kept in ${logDir})`, { cause: e, component, logPath: e.logPath });
  } finally {
    if (onSignal) {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
  }
}

/**
 * Stops every process recorded in `dir`/state.json (or a handle's dir) and removes the directory.
 * Safe to call when nothing runs. `keepLogs` keeps `dir`/logs.
 */
export async function stopCluster(o = {}) {
  const dir = o.dir ?? defaultClusterDir();
  const log = o.log ?? ((m) => process.stderr.write(`[cluster] ${m}\n`));
  const state = readState(dir);
  const stopped = [];
  // Real nodes first (their kubelets would otherwise go on without an API server), each with
  // everything it made; then the control plane; then the switch and the hugepages.
  for (const n of state?.realNodes ?? []) {
    const processes = state.processes.filter((p) => p.node === n.name);
    await stopRealNode({ clusterDir: dir, name: n.name, index: n.index, processes, graceMs: o.graceMs ?? 10_000 });
    stopped.push(`${n.name} (kubelet, containerd, pods)`);
  }
  if (state?.processes) {
    const order = state.processes.filter((p) => !p.node).sort((a, b) => STOP_ORDER.indexOf(a.name) - STOP_ORDER.indexOf(b.name));
    for (const p of order) {
      if (await stopProcess(p, { graceMs: o.graceMs ?? 10_000 })) stopped.push(`${p.name} (pid ${p.pid})`);
    }
  }
  if (state?.switch) tearDownSwitch();
  if (state?.hugepagesBefore !== undefined) restoreHugepages(state.hugepagesBefore);
  if (state?.createdDevicePluginDir) rmSync(DEVICE_PLUGIN_DIR, { recursive: true, force: true });
  if (existsSync(dir)) {
    if (o.keepLogs) {
      for (const entry of readdirSync(dir)) if (entry !== 'logs') rmSync(join(dir, entry), { recursive: true, force: true });
    } else {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  log(stopped.length ? `stopped ${stopped.join(', ')}` : 'no cluster processes were running');
  return { stopped };
}

/**
 * What a stopped cluster left on this machine: processes, mounts, cgroups, directories, network
 * namespaces, links and firewall rules of its real nodes. `state` is the state file's content as it
 * was before the stop (readState() before stopCluster()). Empty when the stop was clean.
 */
export function clusterLeftovers(state) {
  const left = [];
  for (const p of state.processes ?? []) if (!p.node && isOurProcess(p.pid, p.bin)) left.push(`process ${p.name} (pid ${p.pid})`);
  for (const n of state.realNodes ?? []) {
    left.push(...nodeLeftovers({ clusterDir: state.dir, name: n.name, processes: state.processes.filter((p) => p.node === n.name) }));
  }
  if (state.switch || state.realNodes?.length) left.push(...networkLeftovers((state.realNodes ?? []).map((n) => n.index)));
  if (existsSync(state.dir)) left.push(`directory ${state.dir}`);
  return left;
}

/** Every image scripts/images builds (pause, agent, operator), for the real nodes' containerd. */
async function defaultImages(log) {
  const { ensureImages } = await import('../images/build.mjs');
  const built = await ensureImages({ log });
  return { pause: built.pause, archives: [built.agent.archive, built.operator.archive] };
}

/**
 * Stops one component (SIGTERM, then SIGKILL after `graceMs`) and starts it again with the same
 * arguments, e.g. to test how clients ride out an API server restart. `downMs` keeps it stopped
 * that long first. Resolves when it is healthy again (kube-apiserver: /readyz); returns the new pid.
 *
 * @param {{dir: string}} handle
 * @param {'etcd'|'kube-apiserver'|'kube-controller-manager'|'kube-scheduler'|'kwok'} name
 * @param {{downMs?: number, graceMs?: number, timeoutMs?: number}} [o]
 */
export async function restartComponent(handle, name, o = {}) {
  const state = readState(handle.dir);
  const rec = state?.processes?.find((p) => p.name === name);
  if (!rec) throw new ClusterError(`no ${name} recorded in ${handle.dir}`, { component: name });
  if (!rec.args) throw new ClusterError(`${name} in ${handle.dir} was started without recorded arguments: restart the cluster`, { component: name });
  await stopProcess(rec, { graceMs: o.graceMs ?? 10_000 });
  if (o.downMs) await new Promise((r) => setTimeout(r, o.downMs));
  const env = rec.home ? { ...process.env, HOME: rec.home } : process.env;
  const p = startProcess({ name, bin: rec.bin, args: rec.args, logDir: state.logDir, env, cwd: state.dir });
  rec.pid = p.pid;
  writeState(state.dir, state);
  if (name === 'kube-apiserver') {
    const admin = kubeClient(state);
    await waitFor('kube-apiserver /readyz after restart', async () => (await admin.raw('GET', '/readyz', { timeoutMs: 5_000 })).status === 200, {
      timeoutMs: o.timeoutMs ?? 120_000,
      abortIf: () => assertRunning(p),
    });
  }
  return { pid: p.pid };
}

/**
 * @typedef {object} ClusterHandle
 * @property {string} dir
 * @property {string} kubeconfigPath   admin kubeconfig (system:masters)
 * @property {string} server           https://127.0.0.1:<port>
 * @property {string} caFile
 * @property {string} certFile         admin client cert
 * @property {string} keyFile
 * @property {string} statePath
 * @property {string} logDir
 * @property {string} binDir
 * @property {string|undefined} kubectl
 * @property {Record<string,string>} bins
 * @property {Record<string,string>} versions
 * @property {Record<string,number>} ports
 * @property {{name:string, labels:Record<string,string>}[]} nodes
 * @property {string} captureLabel
 * @property {Record<string,number>} pids
 * @property {boolean} startedByUs     false when an already running cluster was reused
 */
