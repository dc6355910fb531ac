// buildah as the image scripts call it, and where their outputs live.
//
//   --storage-driver vfs   overlay needs kernel/fuse support these VMs lack; vfs works anywhere
//                          (a full copy per layer: slower and bigger, but only a few images)
//   --isolation chroot     RUN steps without a nested OCI runtime
//   --ulimit nofile/nproc  runc refuses a limit above the caller's hard limit ("error setting
//                          rlimit type 7" for nofile, "type 6" for nproc): we ask for at most it
//
// <cacheRoot()>/images/<name>/<key>.oci.tar   each image as an OCI archive (`ctr images import`)
// <cacheRoot()>/images/<name>/<key>.log       the build's output
// <cacheRoot()>/images/downloads/             npm tarballs (Node.js, npm)
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';

import { cacheRoot, runLogged, withDirLock } from '../lib/go-tools.mjs';

export class ImageBuildError extends Error {
  constructor(message, { image, logPath, cause } = {}) {
    super(message, { cause });
    this.name = 'ImageBuildError';
    this.image = image;
    this.logPath = logPath;
  }
}
export const isImageBuildError = (e) => e instanceof Error && e.name === 'ImageBuildError';

export const STORAGE = ['--storage-driver', 'vfs'];
/** The label every image of ours carries: the content key it was built from. */
export const KEY_LABEL = 'dev.tapline.image.key';

export const imagesDir = (name) => join(cacheRoot(), 'images', name);
export const downloadsDir = () => join(cacheRoot(), 'images', 'downloads');

/** The calling process's hard limit for a /proc/self/limits row ("Max open files"), or undefined. */
function hardLimit(row) {
  const line = readFileSync('/proc/self/limits', 'utf8').split('\n').find((l) => l.startsWith(row));
  const hard = line?.slice(row.length).trim().split(/\s+/)[1];
  return hard && /^\d+$/.test(hard) ? Number(hard) : undefined;
}

/** --ulimit flags for buildah bud and podman run: nofile and nproc no higher than ours. */
export function ulimitArgs() {
  const nofile = Math.min(hardLimit('Max open files') ?? 1024, 1_048_576);
  const nproc = Math.min(hardLimit('Max processes') ?? 4096, 32_768);
  return ['--ulimit', `nofile=${nofile}:${nofile}`, '--ulimit', `nproc=${nproc}:${nproc}`];
}

/** Runs buildah (vfs storage) and returns its stdout; throws with its stderr. */
export function buildah(args, { image, input } = {}) {
  const r = spawnSync('buildah', [...STORAGE, ...args], { encoding: 'utf8', input, maxBuffer: 64 << 20 });
  if (r.error) throw new ImageBuildError(`cannot run buildah: ${r.error.message}`, { image, cause: r.error });
  if (r.status !== 0) throw new ImageBuildError(`buildah ${args.join(' ')} failed (exit ${r.status}): ${r.stderr.trim()}`, { image });
  return r.stdout.trim();
}

/** The labels of an image in buildah's storage, or null when there is no such image. */
export function imageLabels(ref) {
  const r = spawnSync('buildah', [...STORAGE, 'inspect', '--type', 'image', ref], { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status !== 0) return null;
  return JSON.parse(r.stdout).OCIv1?.config?.Labels ?? {};
}

/** Whether `ref` exists and was built from `key`. */
export const imageHasKey = (ref, key) => imageLabels(ref)?.[KEY_LABEL] === key;

/** A long buildah command (bud, push) with its output appended to logPath; throws on failure. */
export async function buildahLogged(args, { image, logPath, cwd = process.cwd(), timeoutMs = buildTimeoutMs(), env = process.env }) {
  const code = await runLogged('buildah', [...STORAGE, ...args], { cwd, env, logPath, timeoutMs, verbose: process.env.TAPLINE_BUILD_VERBOSE === '1' });
  if (code !== 0) {
    throw new ImageBuildError(
      `building ${image} failed (${code === null ? `timed out after ${timeoutMs / 1000}s` : `buildah ${args[0]} exit ${code}`})\n` +
        `--- last lines of ${logPath} ---\n${tail(logPath, 40)}`,
      { image, logPath },
    );
  }
}

export const buildTimeoutMs = () => Number(process.env.TAPLINE_IMAGE_TIMEOUT_S || 3600) * 1000;

/** Writes `ref` to an OCI archive whose index names it `ref` (what `ctr images import` tags). */
export function exportArchive(ref, archive) {
  mkdirSync(join(archive, '..'), { recursive: true });
  const tmp = `${archive}.tmp-${process.pid}`;
  rmSync(tmp, { force: true });
  buildah(['push', '--quiet', ref, `oci-archive:${tmp}:${ref}`], { image: ref });
  renameSync(tmp, archive);
}

/** Loads an archive written by exportArchive back into buildah's storage and tags it `refs`. */
export function importArchive(archive, refs) {
  const id = buildah(['pull', '--quiet', `oci-archive:${archive}`], { image: refs[0] }).split('\n').at(-1);
  buildah(['tag', id, ...refs], { image: refs[0] });
}

/**
 * Makes `refs` (built from `key`) exist both in storage and as `archive`: pulls the archive back
 * when only it survived, writes it when only the image did. Returns true when nothing is missing
 * any more, false when the image has to be built.
 */
export function restoreFromCache({ refs, key, archive }) {
  const inStorage = imageHasKey(refs[0], key);
  if (!inStorage && existsSync(archive)) {
    try {
      importArchive(archive, refs);
      if (imageHasKey(refs[0], key)) return true;
    } catch { /* a damaged archive: build again */ }
    rmSync(archive, { force: true });
    return false;
  }
  if (!inStorage) return false;
  if (refs.length > 1) buildah(['tag', refs[0], ...refs.slice(1)], { image: refs[0] });
  if (!existsSync(archive)) exportArchive(refs[0], archive);
  return true;
}

/**
 * Removes the images tagged `<repo>:<tagPrefix><key>` of other keys than `key` (a build per
 * change of the sources: vfs keeps a full copy of each), but the newest `keep - 1` of them, which
 * a test that started a moment ago may still be running.
 */
export function pruneOldImages(repo, tagPrefix, key, keep = 2) {
  const esc = (t) => t.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  const re = new RegExp(`^${esc(repo)}:${esc(tagPrefix)}([0-9a-f]{16})$`);
  const old = JSON.parse(buildah(['images', '--json']) || '[]')
    .flatMap((img) => (img.names ?? []).filter((n) => re.test(n) && !n.endsWith(key)).map((name) => ({ name, created: img.created ?? 0 })))
    .sort((a, b) => b.created - a.created)
    .slice(keep - 1);
  for (const { name } of old) spawnSync('buildah', [...STORAGE, 'rmi', name], { stdio: 'ignore' });
  return old.map(({ name }) => name);
}

/** Removes the archives and logs of old keys in an image's directory (the newest `keep` stay). */
export function pruneOldArchives(dir, currentKey, keep = 2) {
  if (!existsSync(dir)) return [];
  const old = readdirSync(dir)
    .filter((f) => /^[0-9a-f]{16}\.oci\.tar$/.test(f) && !f.startsWith(currentKey))
    .map((f) => ({ f, mtime: statSync(join(dir, f)).mtimeMs }))
    .sort((a, b) => b.mtime - a.mtime)
    .slice(keep - 1);
  for (const { f } of old) {
    const k = f.slice(0, 16);
    if (existsSync(join(dir, `${k}.lock`))) continue;
    for (const ext of ['.oci.tar', '.log']) rmSync(join(dir, `${k}${ext}`), { force: true });
  }
  return old.map(({ f }) => f.slice(0, 16));
}

function tail(path, n) {
  try {
    return readFileSync(path, 'utf8').trimEnd().split('\n').slice(-n).join('\n');
  } catch {
    return '(no log)';
  }
}

/**
 * An image made FROM scratch (the Debian base, the pause image): found by `key` in buildah's
 * storage or in the archive cache, else built once under a per-key lock. `build(work)` prepares
 * the content in a fresh work directory and returns `fill(ctr)`, which adds it to the scratch
 * container and sets its config (buildah add/copy/config). The image is committed with the
 * given timestamp, labelled with its key, tagged `ref` and `keyedRef`, exported to
 * <cache>/images/<name>/<key>.oci.tar, and older builds of `repo` tagged `keyedPrefix*` pruned
 * (their inputs change rarely: none kept).
 */
export async function ensureScratchImage({ name, ref, keyedRef, repo, keyedPrefix, key, timestamp, build, log }) {
  const started = Date.now();
  const dir = imagesDir(name);
  const archive = join(dir, `${key}.oci.tar`);
  const refs = [ref, keyedRef];
  const result = (built) => ({ ref, archive, key, built, seconds: (Date.now() - started) / 1000 });
  if (restoreFromCache({ refs, key, archive })) return result(false);

  mkdirSync(dir, { recursive: true });
  return withDirLock(join(dir, key), async () => {
    if (restoreFromCache({ refs, key, archive })) return result(false);
    log(`building ${ref} (key ${key}; once, later runs reuse it)`);
    const work = join(dir, `.work-${process.pid}`);
    for (const e of readdirSync(dir)) if (e.startsWith('.work-')) rmSync(join(dir, e), { recursive: true, force: true });
    mkdirSync(work);
    try {
      const fill = await build(work);
      const ctr = buildah(['from', '--quiet', 'scratch'], { image: ref });
      try {
        fill(ctr);
        buildah(['config', '--label', `${KEY_LABEL}=${key}`, ctr], { image: ref });
        buildah(['commit', '--quiet', '--timestamp', String(timestamp), ctr, refs[0]], { image: ref });
      } finally {
        spawnSync('buildah', [...STORAGE, 'rm', ctr], { stdio: 'ignore' });
      }
      buildah(['tag', refs[0], refs[1]], { image: ref });
      exportArchive(ref, archive);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
    pruneOldArchives(dir, key);
    pruneOldImages(repo, keyedPrefix, key, 1);
    const r = result(true);
    log(`built ${ref} in ${r.seconds.toFixed(1)}s`);
    return r;
  }, buildTimeoutMs());
}
