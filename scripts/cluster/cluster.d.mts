// Types for cluster.mjs (the harness is plain Node ESM so that it runs before any TypeScript build).
export interface ClusterNode {
  name: string;
  labels: Record<string, string>;
}

export interface RealNode {
  name: string;
  index: number;
  labels: Record<string, string>;
  /** The node's InternalIP (on the switch, 10.201.0.x). */
  address: string;
  /** Its network namespace (ip netns exec NAME ...): host-network pods live there. */
  netns: string;
  podCidr: string;
}

export interface ClusterHandle {
  dir: string;
  /** Admin kubeconfig (system:masters), certificates embedded. */
  kubeconfigPath: string;
  /** https://127.0.0.1:<port> */
  server: string;
  caFile: string;
  /** Admin client certificate and key. */
  certFile: string;
  keyFile: string;
  statePath: string;
  logDir: string;
  binDir: string;
  kubectl: string | undefined;
  bins: Record<string, string>;
  versions: Record<string, string>;
  ports: Record<string, number>;
  nodes: ClusterNode[];
  /** Where this host is reached from the nodes and their pods (the API server listens there): 127.0.0.1, or the real nodes' switch address. */
  hostAddress: string;
  /** Real nodes (kubelet + containerd), empty unless startCluster({ realNodes }). */
  realNodes: RealNode[];
  captureLabel: string;
  pids: Record<string, number>;
  /** False when startCluster({ reuse: true }) found a healthy cluster already running. */
  startedByUs: boolean;
}

export interface StartClusterOptions {
  /** Default test/.cluster (or $TAPLINE_CLUSTER_DIR). */
  dir?: string;
  /** kwok nodes kwok-node-0..N-1 (default 3). */
  nodes?: number;
  /** How many of the first nodes get tapline.dev/capture=true (default nodes-1, at least 1). */
  captureNodes?: number;
  nodeLabels?: (index: number) => Record<string, string>;
  /** Extra node capacity/allocatable, e.g. { 'intel.com/sriov_vf': '8' }. */
  nodeResources?: Record<string, string>;
  /** Return the healthy cluster already running in `dir` instead of failing. */
  reuse?: boolean;
  /** Also build kubectl (default true; it shares almost every package with the rest). */
  withKubectl?: boolean;
  /** More flags per component, e.g. { 'kube-apiserver': ['--feature-gates=X=true'] }. */
  extraArgs?: Partial<Record<'etcd' | 'kube-apiserver' | 'kube-controller-manager' | 'kube-scheduler' | 'kwok', string[]>>;
  /** Stop what was started on SIGINT/SIGTERM during start (CLI use). */
  handleSignals?: boolean;
  /** Real nodes real-node-0..N-1: a kubelet and containerd each, in a network namespace of their own (needs root). */
  realNodes?: number;
  realNodeLabels?: (index: number) => Record<string, string>;
  /** 2 MiB hugepages reserved before the kubelets start (default 256). */
  hugepages?: number;
  /** Images for the real nodes' containerd (default: every image scripts/images builds). */
  images?: { pause: { ref: string; archive: string }; archives?: string[] };
  /** Limit of each readiness wait (default 120000). */
  timeoutMs?: number;
  log?: (message: string) => void;
}

export const STATE_FILE: string;
export const CAPTURE_LABEL: 'tapline.dev/capture';
export const KWOK_ANNOTATION: 'kwok.x-k8s.io/node';

export class ClusterError extends Error {
  component: string | undefined;
  logPath: string | undefined;
  interrupted: 'SIGINT' | 'SIGTERM' | undefined;
}
export function isClusterError(e: unknown): e is ClusterError;

export function startCluster(options?: StartClusterOptions): Promise<ClusterHandle>;
export function stopCluster(options?: { dir?: string; keepLogs?: boolean; graceMs?: number; log?: (message: string) => void }): Promise<{ stopped: string[] }>;
export function readState(dir?: string): (Omit<ClusterHandle, 'startedByUs' | 'pids' | 'captureLabel' | 'statePath'> & { processes: { name: string; pid: number; bin: string; logPath: string }[] }) | undefined;
export function isClusterHealthy(state: unknown): Promise<boolean>;
/** What a stopped cluster left behind (processes, mounts, cgroups, netns, links, rules, files); [] when clean. */
export function clusterLeftovers(state: NonNullable<ReturnType<typeof readState>>): string[];
export function kubeClient(handle: Pick<ClusterHandle, 'server' | 'caFile' | 'certFile' | 'keyFile'>): import('./kube-client.mjs').KubeClient;

export type ComponentName = 'etcd' | 'kube-apiserver' | 'kube-controller-manager' | 'kube-scheduler' | 'kwok';
/** Stops one component and starts it again with the same arguments; resolves when healthy (kube-apiserver: /readyz). */
export function restartComponent(handle: Pick<ClusterHandle, 'dir'>, name: ComponentName, options?: { downMs?: number; graceMs?: number; timeoutMs?: number }): Promise<{ pid: number }>;
