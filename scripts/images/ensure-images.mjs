// Every image Tapline's real nodes run, built (or found) in one call:
//
//   node      localhost/tapline/node:20.20.2-bookworm    the base both Dockerfiles build FROM
//   pause     localhost/tapline/pause:3.10               containerd's pod sandbox image
//   agent     localhost/tapline/agent:<key> (and :dev)   Dockerfile.agent
//   operator  localhost/tapline/operator:<key> (:dev)    Dockerfile.operator
//
// Each in buildah's storage (vfs) and as an OCI archive for `ctr -n k8s.io images import FILE`.
import { ensureSystemPackages } from '../lib/system-packages.mjs';
import { ensureAppImage } from './app-image.mjs';
import { ensureBaseImage } from './base-image.mjs';
import { ImageBuildError } from './buildah.mjs';
import { ensurePauseImage } from './pause-image.mjs';

export { ImageBuildError, isImageBuildError } from './buildah.mjs';
export const IMAGE_NAMES = Object.freeze(['base', 'pause', 'agent', 'operator']);

/** Builds what is missing, one image at a time (two cores: parallel builds only compete). */
export async function ensureImages({ log = (m) => process.stderr.write(`${m}\n`), only = IMAGE_NAMES } = {}) {
  const unknown = only.filter((n) => !IMAGE_NAMES.includes(n));
  if (unknown.length) throw new ImageBuildError(`unknown image ${unknown.join(', ')} (known: ${IMAGE_NAMES.join(', ')})`);
  if (process.getuid?.() !== 0) throw new ImageBuildError('building images needs root (debootstrap, buildah with vfs storage)');
  ensureSystemPackages('images');
  const out = {};
  const wantBase = only.some((n) => n !== 'pause');
  if (wantBase) out.node = await ensureBaseImage({ log });
  if (only.includes('pause')) out.pause = await ensurePauseImage({ log });
  for (const app of ['agent', 'operator']) if (only.includes(app)) out[app] = await ensureAppImage(app, out.node, { log });
  return out;
}
