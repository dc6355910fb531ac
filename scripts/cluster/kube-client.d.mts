// Types for kube-client.mjs (the harness's client, on @kubernetes/client-node).
import type { KubeConfig } from '@kubernetes/client-node';

export class KubeApiError extends Error {
  status: number | undefined;
  body: unknown;
  method: string | undefined;
  path: string | undefined;
}
export function isKubeApiError(e: unknown): e is KubeApiError;
export function isNotFound(e: unknown): boolean;
export function isConflict(e: unknown): boolean;
export class WaitTimeoutError extends Error {}
export function isWaitTimeoutError(e: unknown): e is WaitTimeoutError;
export function waitFor<T>(
  what: string,
  fn: () => Promise<T | undefined | null | false> | T | undefined | null | false,
  options?: { timeoutMs?: number; intervalMs?: number; describe?: () => Promise<string> | string; abortIf?: () => void },
): Promise<T>;

export class KubeClient {
  constructor(options: { server: string; caFile: string; certFile: string; keyFile: string });
  readonly server: URL;
  /** The admin identity as a client-node KubeConfig (for client-node's own APIs). */
  readonly kubeConfig: KubeConfig;
  raw(method: string, path: string, options?: { body?: unknown; contentType?: string; timeoutMs?: number }): Promise<{ status: number; body: string }>;
  request<T = any>(method: string, path: string, body?: unknown, options?: { contentType?: string; timeoutMs?: number }): Promise<T>;
  get<T = any>(path: string): Promise<T>;
  create<T = any>(path: string, obj: unknown): Promise<T>;
  delete<T = any>(path: string, body?: unknown): Promise<T>;
  apply<T = any>(path: string, obj: unknown, fieldManager?: string): Promise<T>;
  getOrUndefined<T = any>(path: string): Promise<T | undefined>;
}
