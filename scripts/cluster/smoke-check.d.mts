// Types for smoke-check.mjs.
import type { ClusterHandle } from './cluster.mjs';

export class SmokeError extends Error {}
export function isSmokeError(e: unknown): e is SmokeError;
export interface SmokeResult {
  namespace: string;
  nodes: string[];
  labelledNodes: string[];
  podNodes: string[];
  timings: Record<string, number>;
}
export function runSmokeCheck(
  cluster: Pick<ClusterHandle, 'server' | 'caFile' | 'certFile' | 'keyFile'>,
  options?: { timeoutMs?: number; log?: (message: string) => void; keepNamespace?: boolean },
): Promise<SmokeResult>;
