// Runs a command in one of our images with podman, as a kubelet would run it: no network, the
// image's entrypoint and user unless told otherwise, limits no higher than this process's own
// (runc refuses more: "error setting rlimit type 6/7"), vfs storage (the one buildah writes).
import { spawnSync } from 'node:child_process';

import { STORAGE, ulimitArgs } from './buildah.mjs';

/**
 * podman run --rm; resolves to { status, stdout, stderr, seconds }.
 * options: user ('65532' or '65532:65532'), readOnly (root filesystem), entrypoint (a string or
 * an array), env ({ NAME: value }), volumes (['host:container[:ro]']), timeoutMs.
 */
export function runContainer(ref, args = [], { user, readOnly = false, entrypoint, env = {}, volumes = [], timeoutMs = 180_000 } = {}) {
  const flags = ['run', '--rm', '--network', 'none', ...ulimitArgs(), '--pull', 'never'];
  if (user !== undefined) flags.push('--user', String(user));
  if (readOnly) flags.push('--read-only');
  if (entrypoint !== undefined) flags.push('--entrypoint', Array.isArray(entrypoint) ? JSON.stringify(entrypoint) : entrypoint);
  for (const [k, v] of Object.entries(env)) flags.push('--env', `${k}=${v}`);
  for (const v of volumes) flags.push('--volume', v);
  const started = Date.now();
  const r = spawnSync('podman', [...STORAGE, ...flags, ref, ...args], { encoding: 'utf8', timeout: timeoutMs, maxBuffer: 64 << 20 });
  if (r.error) throw new Error(`podman run ${ref}: ${r.error.message}`);
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, seconds: (Date.now() - started) / 1000 };
}

/** The image's OCI config (User, Entrypoint, Cmd, Env, Labels, ...) from buildah's storage. */
export function imageConfig(ref) {
  const r = spawnSync('buildah', [...STORAGE, 'inspect', '--type', 'image', ref], { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`buildah inspect ${ref}: ${r.stderr.trim()}`);
  return JSON.parse(r.stdout).OCIv1.config;
}
