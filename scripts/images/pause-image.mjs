// The pod sandbox ("pause") image for the real nodes' containerd: Kubernetes' own
// build/pause/linux/pause.c from the k8s.io/kubernetes module the control plane is built from,
// compiled static with gcc as its Makefile does, in an image FROM scratch (as registry.k8s.io/pause).
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, readFileSync, utimesSync } from 'node:fs';
import { join } from 'node:path';

import { findGo, goBuildEnv, pinnedVersions } from '../lib/go-tools.mjs';
import { repoRoot } from '../lib/run.mjs';
import { buildah, ensureScratchImage, ImageBuildError } from './buildah.mjs';
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
  const src = pauseSource();
  const key = contentKey([
    readFileSync(src.file), src.version, gccVersion(), ...CFLAGS, `SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH}`,
    ...fileParts(scriptFiles(import.meta.url, new URL('./buildah.mjs', import.meta.url))),
  ]);
  return ensureScratchImage({
    name: 'pause', ref: PAUSE_REF, keyedRef: `localhost/tapline/pause:${PAUSE_TAG}-${key}`,
    repo: 'localhost/tapline/pause', keyedPrefix: `${PAUSE_TAG}-`, key, timestamp: SOURCE_DATE_EPOCH, log,
    build(work) {
      copyFileSync(src.file, join(work, 'pause.c'));
      const bin = join(work, 'pause');
      const cc = spawnSync('gcc', [...CFLAGS, `-DVERSION=${src.version}`, '-o', bin, join(work, 'pause.c')], { encoding: 'utf8', cwd: work });
      if (cc.status !== 0) throw new ImageBuildError(`gcc pause.c failed: ${(cc.stderr || String(cc.error)).trim()}`, { image: PAUSE_REF });
      const strip = spawnSync('strip', [bin], { encoding: 'utf8' });
      if (strip.status !== 0) throw new ImageBuildError(`strip failed: ${strip.stderr.trim()}`, { image: PAUSE_REF });
      utimesSync(bin, SOURCE_DATE_EPOCH, SOURCE_DATE_EPOCH);
      return (ctr) => {
        buildah(['copy', '--quiet', '--chmod', '0755', ctr, bin, '/pause'], { image: PAUSE_REF });
        buildah(['config', '--entrypoint', '["/pause"]', '--cmd', '', '--user', '65535:65535',
          '--label', 'org.opencontainers.image.title=tapline-pause',
          '--label', `org.opencontainers.image.description=Kubernetes pause ${src.version} (build/pause/linux/pause.c, static)`,
          ctr], { image: PAUSE_REF });
      };
    },
  });
}
