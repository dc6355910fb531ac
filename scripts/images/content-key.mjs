// Content keys: an image is rebuilt exactly when something it is made from changed.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

import { repoRoot } from '../lib/run.mjs';

/** 16 hex digits of sha256 over the parts (strings or buffers), each one delimited. */
export function contentKey(parts) {
  const h = createHash('sha256');
  for (const p of parts) {
    h.update(p);
    h.update('\0');
  }
  return h.digest('hex').slice(0, 16);
}

/** Parts for files of the repository: path, executable bit and content of each, sorted by path. */
export function fileParts(files) {
  return [...files].sort().flatMap((f) => {
    const abs = join(repoRoot, f);
    return [f, (statSync(abs).mode & 0o111) ? 'x' : '-', readFileSync(abs)];
  });
}

/** Repository paths of script modules (for a key that changes when the scripts that build it do). */
export const scriptFiles = (...urls) => urls.map((u) => relative(repoRoot, fileURLToPath(u)));

/** Files of the working tree git knows of or would add (tracked and untracked, not ignored), existing ones. */
function workingTreeFiles() {
  const r = spawnSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: repoRoot, encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`git ls-files failed: ${r.stderr}`);
  return [...new Set(r.stdout.split('\0').filter(Boolean))].filter((f) => existsSync(join(repoRoot, f)) && statSync(join(repoRoot, f)).isFile());
}

/**
 * .dockerignore as a predicate, with Docker's rules: patterns are anchored at the context root,
 * `*` and `?` stop at `/`, `**` crosses directories, a pattern that matches a directory excludes
 * everything below it, `!pattern` re-includes, the last matching line wins.
 */
export function dockerignore(file = join(repoRoot, '.dockerignore')) {
  const rules = (existsSync(file) ? readFileSync(file, 'utf8') : '').split('\n')
    .map((l) => l.trim()).filter((l) => l && !l.startsWith('#'))
    .map((l) => {
      const negate = l.startsWith('!');
      const pat = (negate ? l.slice(1) : l).trim().replace(/^\/+|\/+$/g, '').replace(/^\.\//, '');
      const re = pat.split(/(\*\*\/?|\*|\?)/).map((t) => {
        if (t === '**/') return '(?:.*/)?';
        if (t === '**') return '.*';
        if (t === '*') return '[^/]*';
        if (t === '?') return '[^/]';
        return t.replace(/[.+^${}()|[\]\\]/g, '\\$&');
      }).join('');
      return { negate, re: new RegExp(`^${re}(?:/|$)`) };
    });
  return (path) => {
    let ignored = false;
    for (const r of rules) if (r.re.test(path)) ignored = !r.negate;
    return ignored;
  };
}

/** The sources of a Dockerfile's COPY/ADD instructions that read the build context (no --from). */
export function contextSources(dockerfileText) {
  const lines = dockerfileText.replace(/\\\r?\n/g, ' ').split('\n').map((l) => l.trim());
  const out = [];
  for (const line of lines) {
    const m = /^(COPY|ADD)\s+(.*)$/i.exec(line);
    if (!m) continue;
    const words = m[2].trim().startsWith('[') ? JSON.parse(m[2]) : m[2].split(/\s+/);
    if (words.some((w) => w.startsWith('--from='))) continue;
    out.push(...words.filter((w) => !w.startsWith('--')).slice(0, -1));
  }
  return out;
}

/**
 * The files of the build context a Dockerfile copies: what git lists under its COPY sources, minus
 * .dockerignore. A source with a wildcard or a variable widens this to the whole context.
 */
export function dockerContextFiles(dockerfile) {
  const ignored = dockerignore();
  const files = workingTreeFiles().filter((f) => !ignored(f));
  const sources = contextSources(readFileSync(join(repoRoot, dockerfile), 'utf8')).map((s) => s.replace(/^\.\/?/, '').replace(/\/+$/, ''));
  if (sources.some((s) => /[*?[$]/.test(s) || s === '')) return files;
  return files.filter((f) => sources.some((s) => f === s || f.startsWith(`${s}/`)));
}
