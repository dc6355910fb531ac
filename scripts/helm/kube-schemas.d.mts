// Types for kube-schemas.mjs.
export function schemaFileName(gvk: { group?: string; version: string; kind: string }): string;
export function standaloneSchema(name: string, all: Record<string, unknown>, strict: boolean): Record<string, unknown>;
export function writeKubeSchemas(options: {
  get: (path: string) => Promise<any>;
  root?: string;
  log?: (message: string) => void;
  /** OpenAPI v3 group-version paths to wait for (default ['apis/tapline.dev/v1alpha1']). */
  require?: string[];
  timeoutMs?: number;
}): Promise<{ dir: string; kubernetesVersion: string; files: number; cached: boolean }>;
