// Types for real-node.mjs (the parts tests use).
import type { NodeBins } from './node-tools.mjs';

export const RUNTIME_ROOT: string;
export interface NodePaths {
  dir: string;
  run: string;
  containerdConfig: string;
  containerdRoot: string;
  containerdState: string;
  /** containerd's gRPC socket (ctr --address). */
  socket: string;
  runcRoot: string;
  cniConfDir: string;
  cniIpamDir: string;
  kubeletRoot: string;
  kubeletCerts: string;
  kubeletConfig: string;
  kubeconfig: string;
  podLogs: string;
  cgroupRoot: string;
}
export function nodePaths(clusterDir: string, name: string): NodePaths;
/** Imports OCI archives into the node's containerd (namespace k8s.io). */
export function importImages(bins: Pick<NodeBins, 'ctr'>, paths: Pick<NodePaths, 'socket'>, archives: string[]): void;
export function mountsUnder(dirs: string[]): string[];
