// `npm run bench`: set-up (with the peer tools), then the flow-engine
// benchmark (test/bench/flow-engine-bench.ts, compiled to dist/).
import path from 'node:path';
import { pathToFileURL } from 'node:url';

import { repoRoot } from './lib/run.mjs';
import { setup } from './setup.mjs';

try {
  setup('bench');
} catch (err) {
  process.stderr.write(`tapline bench: set-up failed: ${err.message}\n`);
  process.exit(1);
}
await import(pathToFileURL(path.join(repoRoot, 'dist', 'test', 'bench', 'flow-engine-bench.js')).href);
