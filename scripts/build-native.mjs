// Builds the native addon (build/Release/tapline_native.node) with cmake-js.
// Runs as the package's install script, so `npm ci` builds it; checks the
// system packages first and installs them when it can (see lib/system-packages.mjs).
import { existsSync } from 'node:fs';
import path from 'node:path';

import { repoRoot, run, step } from './lib/run.mjs';
import { ensureSystemPackages } from './lib/system-packages.mjs';

export function buildNative() {
  ensureSystemPackages('build');
  const cmakeJs = path.join(repoRoot, 'node_modules', 'cmake-js', 'bin', 'cmake-js');
  if (!existsSync(cmakeJs)) throw new Error('cmake-js is not installed: run npm ci first');
  step('building the native addon (cmake-js)');
  run(process.execPath, [cmakeJs, 'build', '--generator', 'Ninja', '--config', 'Release', '--log-level', 'warn']);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  try {
    buildNative();
  } catch (err) {
    process.stderr.write(`tapline: native build failed: ${err.message}\n`);
    process.exit(1);
  }
}
