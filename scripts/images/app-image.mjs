// The agent and operator images: Dockerfile.agent / Dockerfile.operator built with `buildah bud`
// on the local base image, tagged by a content key (so an unchanged tree is never rebuilt) and :dev.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { withDirLock } from '../lib/go-tools.mjs';
import { repoRoot } from '../lib/run.mjs';
import {
  buildah, buildahLogged, buildTimeoutMs, exportArchive, imagesDir, KEY_LABEL, pruneOldArchives, pruneOldImages, restoreFromCache, ulimitArgs,
} from './buildah.mjs';
import { contentKey, dockerContextFiles, fileParts, scriptFiles } from './content-key.mjs';

export const APPS = Object.freeze({
  agent: { dockerfile: 'Dockerfile.agent', repo: 'localhost/tapline/agent' },
  operator: { dockerfile: 'Dockerfile.operator', repo: 'localhost/tapline/operator' },
});

const packageVersion = () => JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')).version;

/** The key: the Dockerfile, every context file it copies, the base image's key, the build args, these scripts. */
export function appImageKey(name, base) {
  const { dockerfile } = APPS[name];
  return contentKey([
    ...fileParts([dockerfile, ...dockerContextFiles(dockerfile)]),
    `base ${base.ref} ${base.key}`, `VERSION=${packageVersion()}`,
    ...fileParts(scriptFiles(import.meta.url, new URL('./buildah.mjs', import.meta.url), new URL('./content-key.mjs', import.meta.url))),
  ]);
}

/**
 * A TLS-intercepting proxy between this machine and the npm registry: its CA (NODE_EXTRA_CA_CERTS
 * of this process) is mounted read-only into the build's RUN steps and named by the Dockerfiles'
 * NODE_EXTRA_CA_CERTS build argument. Nothing of it lands in an image.
 */
function extraCaArgs() {
  const ca = process.env.NODE_EXTRA_CA_CERTS;
  if (!ca || !existsSync(ca)) return [];
  const inBuild = '/etc/tapline-build-ca.pem';
  return ['--volume', `${ca}:${inBuild}:ro`, '--build-arg', `NODE_EXTRA_CA_CERTS=${inBuild}`];
}

/** Builds localhost/tapline/<name>:<key> (and :dev) unless it exists; exports it to <cache>/images/<name>/<key>.oci.tar. */
export async function ensureAppImage(name, base, { log = (m) => process.stderr.write(`${m}\n`) } = {}) {
  const started = Date.now();
  const { dockerfile, repo } = APPS[name];
  const key = appImageKey(name, base);
  const dir = imagesDir(name);
  const archive = join(dir, `${key}.oci.tar`);
  const ref = `${repo}:${key}`;
  const devRef = `${repo}:dev`;
  const result = (built) => ({ ref, devRef, archive, key, built, seconds: (Date.now() - started) / 1000 });
  if (restoreFromCache({ refs: [ref, devRef], key, archive })) return result(false);

  mkdirSync(dir, { recursive: true });
  return withDirLock(join(dir, key), async () => {
    if (restoreFromCache({ refs: [ref, devRef], key, archive })) return result(false);
    log(`building ${ref} from ${dockerfile} on ${base.ref} (several minutes the first time)`);
    const logPath = join(dir, `${key}.log`);
    writeFileSync(logPath, '');
    const beat = setInterval(() => log(`  still building ${name} (${((Date.now() - started) / 1000).toFixed(0)}s, ${logPath})`), 60_000);
    try {
      await buildahLogged([
        'bud', '--isolation', 'chroot', ...ulimitArgs(), '--network', 'host',
        '--build-arg', `NODE_IMAGE=${base.ref}`, '--build-arg', `VERSION=${packageVersion()}`, ...extraCaArgs(),
        '--label', `${KEY_LABEL}=${key}`,
        '-f', dockerfile, '-t', ref, '.',
      ], { image: ref, logPath, cwd: repoRoot, timeoutMs: buildTimeoutMs() });
    } finally {
      clearInterval(beat);
    }
    buildah(['tag', ref, devRef], { image: ref });
    exportArchive(ref, archive);
    pruneOldImages(repo, '', key);
    pruneOldArchives(dir, key);
    const r = result(true);
    log(`built ${ref} in ${r.seconds.toFixed(0)}s`);
    return r;
  }, buildTimeoutMs());
}
