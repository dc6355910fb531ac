// Types for tools.mjs.
export const HELM_TOOLS_MODULE: string;
export const HELM_TOOLS: Readonly<{ helm: string; kubeconform: string }>;
export function pinnedVersions(moduleDir?: string): Record<string, string>;
export function helmLdflags(moduleDir?: string): string;
export function ensureHelmTools(options?: { log?: (message: string) => void }): Promise<{
  dir: string;
  paths: { helm: string; kubeconform: string };
  built: string[];
  seconds: number;
}>;
