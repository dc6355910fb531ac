// Types for node-tools.mjs.
export const RUNTIME_MODULE_DIR: string;
export const DEBIAN_NODE_TOOLS: Readonly<{ runc: string; cniBinDir: string }>;
export interface NodeBins { kubelet: string; containerd: string; ctr: string; shim: string }
export function ensureNodeTools(options?: { log?: (message: string) => void }): Promise<{ bins: NodeBins; built: string[] }>;
