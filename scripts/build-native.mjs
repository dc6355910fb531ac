// Builds the native addon (build/Release/tapline_native.node) with cmake-js.
// Runs as the package's install script, so `npm ci` builds it here and
// `npm install tapline` (or a packed tarball) builds it in the installing
// project; checks the system packages first and installs them when it can
// (see lib/system-packages.mjs).
import { readFileSync, realpathSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { run, step } from './lib/run.mjs';
import { ensureSystemPackages } from './lib/system-packages.mjs';

/**
 * cmake-js's command, resolved the way Node resolves the package from here: in this checkout's
 * node_modules, or where npm put it when tapline is itself a dependency (usually hoisted to the
 * installing project's node_modules, beside tapline).
 */
export function cmakeJsBin() {
  let manifest;
  try {
    manifest = createRequire(import.meta.url).resolve('cmake-js/package.json');
  } catch (err) {
    throw new Error('cmake-js (a dependency of tapline) is not installed: run npm ci (in a checkout) or npm install', { cause: err });
  }
  const { bin } = JSON.parse(readFileSync(manifest, 'utf8'));
  const rel = typeof bin === 'string' ? bin : bin?.['cmake-js'];
  if (!rel) throw new Error(`${manifest} names no cmake-js command`);
  return path.join(path.dirname(manifest), rel);
}

export function buildNative() {
  ensureSystemPackages('build');
  const cmakeJs = cmakeJsBin();
  step('building the native addon (cmake-js)');
  run(process.execPath, [cmakeJs, 'build', '--generator', 'Ninja', '--config', 'Release', '--log-level', 'warn']);
}

// Run as a script (`node scripts/build-native.mjs`, the install script), not imported. Compared as
// real paths: a URL built by hand from argv misses a project path with a space or a symlink, and
// the install would then succeed without building anything.
if (process.argv[1] && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    buildNative();
  } catch (err) {
    process.stderr.write(`tapline: native build failed: ${err.message}\n`);
    process.exit(1);
  }
}
