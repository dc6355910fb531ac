// Types for tools.mjs.
export const NATS_MODULE_DIR: string;
export const NATS_TOOLS: Readonly<{ 'nats-server': string; nats: string }>;
export function ensureNatsTools(options?: { log?: (message: string) => void }): Promise<{
  dir: string;
  paths: { 'nats-server': string; nats: string };
  built: string[];
  seconds: number;
}>;
