// The pod sandbox ("pause") image for the real nodes' containerd: Kubernetes' own
// build/pause/linux/pause.c from the k8s.io/kubernetes module the control plane is built from,
// compiled static with gcc as its Makefile does, in an image FROM scratch (as registry.k8s.io/pause).
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, utimesSync } from 'node:fs';
import { join } from 'node:path';

import { findGo, goBuildEnv, pinnedVersions, withDirLock } from '../lib/go-tools.mjs';
import { repoRoot } from '../lib/run.mjs';
import {
  buildah, buildTimeoutMs, exportArchive, ImageBuildError, imagesDir, KEY_LABEL, pruneOldArchives, pruneOldImages, restoreFromCache,
} from './buildah.mjs';
import { SOURCE_DATE_EPOCH } from './base-image.mjs';
import { contentKey, fileParts, scriptFiles } from './content-key.mjs';

export const PAUSE_TAG = '3.10';
export const PAUSE_REF = `localhost/tapline/pause:${PAUSE_TAG}`;
const toolsModule = join(repoRoot, 'test', 'cluster', 'tools');
// The Makefile's flags (build/pause/Makefile: CFLAGS = -Os -Wall -Werror -static -DVERSION=...).
const CFLAGS = ['-Os', '-Wall', '-Werror', '-static'];

/** build/pause/linux/pause.c of the pinned k8s.io/kubernetes, downloaded into the module cache if missing. */
export function pauseSource() {
  const version = pinnedVersions(toolsModule, ['k8s.io/kubernetes'])['k8s.io/kubernetes'];
  if (!version) throw new ImageBuildError('k8s.io/kubernetes is not pinned in test/cluster/tools/go.mod', { image: PAUSE_REF });
  const env = goBuildEnv();
  const dir = join(env.GOMODCACHE, `k8s.io/kubernetes@${version}`, 'build', 'pause');
  if (!existsSync(join(dir, 'linux', 'pause.c'))) {
    const r = spawnSync(findGo(), ['mod', 'download', 'k8s.io/kubernetes'], { cwd: toolsModule, env, encoding: 'utf8' });
    if (r.status !== 0 || !existsSync(join(dir, 'linux', 'pause.c'))) {
      throw new ImageBuildError(`go mod download k8s.io/kubernetes failed: ${(r.stderr || String(r.error)).trim()}`, { image: PAUSE_REF });
    }
  }
  // The Makefile's TAG is the pause release this source is.
  const tag = /^TAG \?= (\S+)/m.exec(readFileSync(join(dir, 'Makefile'), 'utf8'))?.[1] ?? PAUSE_TAG;
  return { file: join(dir, 'linux', 'pause.c'), kubernetes: version, version: `v${tag}-kubernetes-${version}` };
}

const gccVersion = () => spawnSync('gcc', ['--version'], { encoding: 'utf8' }).stdout?.split('\n')[0] ?? 'no gcc';

export async function ensurePauseImage({ log = (m) => process.stderr.write(`${m}\n`) } = {}) {
  const started = Date.now();
  const src = pauseSource();
  const key = contentKey([
    readFileSync(src.file), src.version, gccVersion(), ...CFLAGS, `SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH}`,
    ...fileParts(scriptFiles(import.meta.url, new URL('./buildah.mjs', import.meta.url))),
  ]);
  const dir = imagesDir('pause');
  const archive = join(dir, `${key}.oci.tar`);
  const refs = [PAUSE_REF, `localhost/tapline/pause:${PAUSE_TAG}-${key}`];
  const result = (built) => ({ ref: PAUSE_REF, archive, key, built, seconds: (Date.now() - started) / 1000 });
  if (restoreFromCache({ refs, key, archive })) return result(false);

  mkdirSync(dir, { recursive: true });
  return withDirLock(join(dir, key), async () => {
    if (restoreFromCache({ refs, key, archive })) return result(false);
    log(`building ${PAUSE_REF} from ${src.file} (key ${key})`);
    const work = join(dir, `.work-${process.pid}`);
    for (const e of readdirSync(dir)) if (e.startsWith('.work-')) rmSync(join(dir, e), { recursive: true, force: true });
    mkdirSync(work);
    try {
      copyFileSync(src.file, join(work, 'pause.c'));
      const bin = join(work, 'pause');
      const cc = spawnSync('gcc', [...CFLAGS, `-DVERSION=${src.version}`, '-o', bin, join(work, 'pause.c')], { encoding: 'utf8', cwd: work });
      if (cc.status !== 0) throw new ImageBuildError(`gcc pause.c failed: ${(cc.stderr || String(cc.error)).trim()}`, { image: PAUSE_REF });
      const strip = spawnSync('strip', [bin], { encoding: 'utf8' });
      if (strip.status !== 0) throw new ImageBuildError(`strip failed: ${strip.stderr.trim()}`, { image: PAUSE_REF });
      utimesSync(bin, SOURCE_DATE_EPOCH, SOURCE_DATE_EPOCH);
      const ctr = buildah(['from', '--quiet', 'scratch'], { image: PAUSE_REF });
      try {
        buildah(['copy', '--quiet', '--chmod', '0755', ctr, bin, '/pause'], { image: PAUSE_REF });
        buildah(['config', '--entrypoint', '["/pause"]', '--cmd', '', '--user', '65535:65535',
          '--label', `${KEY_LABEL}=${key}`,
          '--label', 'org.opencontainers.image.title=tapline-pause',
          '--label', `org.opencontainers.image.description=Kubernetes pause ${src.version} (build/pause/linux/pause.c, static)`,
          ctr], { image: PAUSE_REF });
        buildah(['commit', '--quiet', '--timestamp', String(SOURCE_DATE_EPOCH), ctr, refs[0]], { image: PAUSE_REF });
      } finally {
        spawnSync('buildah', ['--storage-driver', 'vfs', 'rm', ctr], { stdio: 'ignore' });
      }
      buildah(['tag', refs[0], refs[1]], { image: PAUSE_REF });
      exportArchive(PAUSE_REF, archive);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
    pruneOldArchives(dir, key);
    pruneOldImages('localhost/tapline/pause', `${PAUSE_TAG}-`, key, 1); // inputs that change rarely: no older build kept
    const r = result(true);
    log(`built ${PAUSE_REF} in ${r.seconds.toFixed(1)}s`);
    return r;
  }, buildTimeoutMs());
}
