// Everything a fresh Debian machine needs before Tapline runs: system
// packages (apt-get, as root), npm packages, the native addon, the compiled
// TypeScript. Each step is skipped when already done; `npm run demo` and
// `npm test` call this first, so each works on its own on a fresh clone.
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';

import { buildNative } from './build-native.mjs';
import { repoRoot, run, step } from './lib/run.mjs';
import { ensureSystemPackages } from './lib/system-packages.mjs';

function npmPackagesCurrent() {
  const marker = path.join(repoRoot, 'node_modules', '.package-lock.json');
  const lock = path.join(repoRoot, 'package-lock.json');
  return existsSync(marker) && statSync(marker).mtimeMs >= statSync(lock).mtimeMs;
}

/** purposes: which groups of system packages to ensure ('build', 'test', 'bench'). */
export function setup(...purposes) {
  ensureSystemPackages('build', ...purposes);
  if (!npmPackagesCurrent()) {
    step('installing npm packages (npm ci; builds the addon and compiles TypeScript)');
    run('npm', ['ci', '--no-audit', '--no-fund']);
    return;
  }
  buildNative();
  step('compiling TypeScript');
  run(process.execPath, [path.join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json']);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  try {
    setup(...process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`tapline setup: ${err.message}\n`);
    process.exit(1);
  }
}
