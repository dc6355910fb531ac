#!/usr/bin/env node
// Builds nats-server (and the nats CLI) from the pinned Go module test/nats/tools into the cache
// outside the repository (scripts/lib/go-tools.mjs) and prints their paths as JSON.
// Used by the NATS test harness (test/nats/server.ts) and the benchmark; run it by hand to warm
// the cache: `node scripts/nats/tools.mjs`.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { ensureGoTools } from '../lib/go-tools.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const NATS_MODULE_DIR = join(root, 'test', 'nats', 'tools');
export const NATS_TOOLS = { 'nats-server': 'github.com/nats-io/nats-server/v2', nats: 'github.com/nats-io/natscli/nats' };

export async function ensureNatsTools(options = {}) {
  return ensureGoTools({ label: 'nats', moduleDir: NATS_MODULE_DIR, tools: NATS_TOOLS, ...options });
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const r = await ensureNatsTools();
  process.stdout.write(`${JSON.stringify(r.paths)}\n`);
}
