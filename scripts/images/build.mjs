#!/usr/bin/env node
// Builds (or finds) Tapline's container images and prints where they are.
//
//   node scripts/images/build.mjs                       all four: base, pause, agent, operator
//   node scripts/images/build.mjs --only agent,pause    some (agent and operator need base: built too)
//   node scripts/images/build.mjs --json                the result as JSON
//
// Env: TAPLINE_CACHE_DIR (cache root), TAPLINE_IMAGE_TIMEOUT_S (per build, default 3600),
//      TAPLINE_BUILD_VERBOSE=1 (stream buildah's output).
//
// Imported, it is ensure-images.mjs: `import { ensureImages } from 'scripts/images/build.mjs'`.
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

import { ensureImages, IMAGE_NAMES, isImageBuildError } from './ensure-images.mjs';

export * from './ensure-images.mjs';

async function main() {
  const { values } = parseArgs({ options: { only: { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } } });
  if (values.help) {
    process.stdout.write(`usage: node scripts/images/build.mjs [--only ${IMAGE_NAMES.join(',')}] [--json]\n`);
    process.exit(0);
  }
  try {
    const only = values.only ? values.only.split(',').map((s) => s.trim()).filter(Boolean) : undefined;
    const images = await ensureImages({ ...(only ? { only } : {}) });
    if (values.json) {
      process.stdout.write(`${JSON.stringify(images, null, 2)}\n`);
    } else {
      for (const [name, i] of Object.entries(images)) {
        process.stdout.write(`${name.padEnd(9)} ${i.ref}${i.devRef ? ` (${i.devRef})` : ''}\n          ${i.archive}\n          ${i.built ? 'built' : 'cached'} in ${i.seconds.toFixed(1)}s\n`);
      }
    }
  } catch (err) {
    process.stderr.write(`images: ${isImageBuildError(err) ? err.message : err.stack}\n`);
    process.exit(1);
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
