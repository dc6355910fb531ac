// Builds Go programs the tests need (nats-server, helm, kubeconform, ...) from a small Go module
// of ours that pins them with `tool` directives, into a cache outside the repository:
//
//   <cache>/<label>-bin/<key>/<name>     <key> hashes go.mod, go.sum, the Go version, GOOS/GOARCH
//                                        and the build flags, so a second run finds them at once
//   <cache>/go/mod, <cache>/go/build     GOMODCACHE and GOCACHE, shared by every module
//
// <cache> is $TAPLINE_CACHE_DIR or ${XDG_CACHE_HOME:-~/.cache}/tapline. One builder per key at a
// time (a lock directory), old keys pruned, `go build` output in <key>/build.log.
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  createWriteStream, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync,
} from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, dirname, join, resolve } from 'node:path';

export class GoBuildError extends Error {
  constructor(message, { tools, logPath, cause } = {}) {
    super(message, { cause });
    this.name = 'GoBuildError';
    this.tools = tools;
    this.logPath = logPath;
  }
}
export const isGoBuildError = (e) => e instanceof Error && e.name === 'GoBuildError';

export function cacheRoot() {
  if (process.env.TAPLINE_CACHE_DIR) return resolve(process.env.TAPLINE_CACHE_DIR);
  return join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'tapline');
}

/** The go binary: $GO, then PATH, then /usr/local/go/bin/go. */
export function findGo() {
  const candidates = [process.env.GO, ...(process.env.PATH || '').split(delimiter).filter(Boolean).map((d) => join(d, 'go')), '/usr/local/go/bin/go'];
  for (const c of candidates) {
    if (!c) continue;
    try {
      if (statSync(c).isFile()) return c;
    } catch { /* next */ }
  }
  throw new GoBuildError('no Go toolchain found: set GO=/path/to/go or put go on PATH (Go >= 1.26 is needed)');
}

export function goBuildEnv({ cgo = false } = {}) {
  const root = cacheRoot();
  return {
    ...process.env,
    GOMODCACHE: join(root, 'go', 'mod'),
    GOCACHE: join(root, 'go', 'build'),
    CGO_ENABLED: cgo ? '1' : '0',
    GOFLAGS: '-mod=readonly', // go.sum is committed: a build never rewrites the pins
    GOTOOLCHAIN: 'local',
    GOWORK: 'off',
  };
}

function goVersion(go) {
  const r = spawnSync(go, ['env', 'GOVERSION', 'GOOS', 'GOARCH'], { encoding: 'utf8', env: { ...process.env, GOTOOLCHAIN: 'local' } });
  if (r.status !== 0) throw new GoBuildError(`'${go} env' failed: ${r.stderr || r.error}`);
  const [version, goos, goarch] = r.stdout.trim().split('\n');
  return `${version}\0${goos}/${goarch}`;
}

/** Versions of the listed modules as go.mod pins them: { module: 'vX.Y.Z' }. */
export function pinnedVersions(moduleDir, modules) {
  const gomod = readFileSync(join(moduleDir, 'go.mod'), 'utf8');
  const out = {};
  for (const m of modules) {
    const hit = gomod.match(new RegExp(`^\\s*(?:require\\s+)?${m.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}\\s+(v\\S+)`, 'm'));
    if (hit) out[m] = hit[1];
  }
  return out;
}

/** The cache directory for a module's current pins and flags. */
export function toolsBinDir({ label, moduleDir, ldflags = '-s -w', tags = [], go = findGo() }) {
  const h = createHash('sha256');
  h.update(readFileSync(join(moduleDir, 'go.mod')));
  h.update('\0');
  h.update(readFileSync(join(moduleDir, 'go.sum')));
  h.update(`\0${goVersion(go)}\0cgo=0\0trimpath\0${ldflags}`);
  if (tags.length) h.update(`\0tags=${tags.join(',')}`); // no tags: the key stays what it was
  return join(cacheRoot(), `${label}-bin`, h.digest('hex').slice(0, 16));
}

const pidAlive = (pid) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return e.code === 'EPERM';
  }
};

/** Runs fn holding `${dir}.lock` (a directory with the holder's pid; a dead holder's lock is taken over). */
export async function withDirLock(dir, fn, timeoutMs) {
  const lock = `${dir}.lock`;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      mkdirSync(lock);
      writeFileSync(join(lock, 'pid'), String(process.pid));
      break;
    } catch (e) {
      if (e.code !== 'EEXIST') throw e;
      let holder = NaN;
      try { holder = Number(readFileSync(join(lock, 'pid'), 'utf8')); } catch { /* being created */ }
      if (Number.isInteger(holder) && holder > 0 && !pidAlive(holder)) {
        rmSync(lock, { recursive: true, force: true });
        continue;
      }
      if (Date.now() > deadline) throw new GoBuildError(`timed out waiting for another build (lock ${lock}, pid ${holder})`);
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

/** Keeps the newest `keep` key directories beside `current` (each pin change makes one). */
export function pruneOldBuilds(current, log, keep = 2) {
  const root = dirname(current);
  const dirs = readdirSync(root, { withFileTypes: true })
    .filter((e) => e.isDirectory() && /^[0-9a-f]{16}$/.test(e.name) && join(root, e.name) !== current)
    .map((e) => ({ path: join(root, e.name), mtime: statSync(join(root, e.name)).mtimeMs }))
    .sort((a, b) => b.mtime - a.mtime);
  for (const { path } of dirs.slice(keep - 1)) {
    if (existsSync(`${path}.lock`)) continue; // being built right now
    rmSync(path, { recursive: true, force: true });
    log(`removed old build ${path}`);
  }
}

/** `go build -o DIR/` names a binary after the package's last element, skipping a /vN suffix. */
export function goOutputName(pkg) {
  const parts = pkg.split('/');
  const last = parts.at(-1);
  return /^v\d+$/.test(last) ? parts.at(-2) : last;
}

/** Runs a command (niced, in its own process group) with its output in logPath; resolves to the exit code, null on timeout. */
export function runLogged(cmd, args, { cwd, env, logPath, verbose = false, timeoutMs }) {
  return new Promise((resolvePromise, reject) => {
    const out = createWriteStream(logPath);
    out.write(`$ (cd ${cwd} && ${cmd} ${args.join(' ')})\n`);
    const child = spawn('nice', ['-n', '10', cmd, ...args], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    const onData = (d) => { out.write(d); if (verbose) process.stderr.write(d); };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    let timedOut = false;
    const kill = () => { try { process.kill(-child.pid, 'SIGKILL'); } catch { /* gone */ } };
    const timer = setTimeout(() => { timedOut = true; kill(); }, timeoutMs);
    const onSignal = (sig) => { kill(); process.exit(sig === 'SIGINT' ? 130 : 143); };
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    child.on('error', (e) => { clearTimeout(timer); reject(new GoBuildError(`cannot run ${cmd}: ${e.message}`, { cause: e })); });
    child.on('close', (code) => {
      clearTimeout(timer);
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      out.end(() => resolvePromise(timedOut ? null : code));
    });
  });
}

/**
 * Makes sure every tool of a module is built; builds the missing ones in one `go build` (shared
 * packages compile once). `tools`: { name: 'import/path/of/main/package' }; `tags`: Go build tags
 * (part of the cache key).
 * Returns { dir, paths: { name: absolutePath }, built: [names], seconds }.
 */
export async function ensureGoTools({
  label, moduleDir, tools, ldflags = '-s -w', tags = [],
  log = (m) => process.stderr.write(`${m}\n`), verbose = process.env.TAPLINE_BUILD_VERBOSE === '1',
}) {
  const go = findGo();
  const dir = toolsBinDir({ label, moduleDir, ldflags, tags, go });
  const paths = Object.fromEntries(Object.keys(tools).map((n) => [n, join(dir, n)]));
  const missingNow = () => Object.keys(tools).filter((n) => !existsSync(paths[n]));
  if (missingNow().length === 0) return { dir, paths, built: [], seconds: 0 };

  mkdirSync(dir, { recursive: true });
  const timeoutMs = Number(process.env.TAPLINE_BUILD_TIMEOUT_S || 5400) * 1000;
  return withDirLock(dir, async () => {
    const missing = missingNow(); // another process may have built them meanwhile
    if (missing.length === 0) return { dir, paths, built: [], seconds: 0 };
    log(`building ${missing.join(', ')} (${label}) from ${moduleDir}\n  into ${dir} (once; later runs reuse it)`);
    for (const e of readdirSync(dir)) if (e.startsWith('.tmp-')) rmSync(join(dir, e), { recursive: true, force: true });
    const tmp = join(dir, `.tmp-${process.pid}`);
    mkdirSync(tmp, { recursive: true });
    const logPath = join(dir, 'build.log');
    const started = Date.now();
    const args = ['build', '-trimpath', `-ldflags=${ldflags}`, ...(tags.length ? [`-tags=${tags.join(',')}`] : []), '-o', `${tmp}/`, ...missing.map((n) => tools[n])];
    const beat = setInterval(() => log(`  still building ${label} (${((Date.now() - started) / 1000).toFixed(0)}s)`), 60_000);
    let code;
    try {
      code = await runLogged(go, args, { cwd: moduleDir, env: goBuildEnv(), logPath, verbose, timeoutMs });
    } finally {
      clearInterval(beat);
    }
    const seconds = (Date.now() - started) / 1000;
    const failed = missing.filter((n) => !existsSync(join(tmp, goOutputName(tools[n]))));
    if (code !== 0 || failed.length) {
      rmSync(tmp, { recursive: true, force: true });
      const names = failed.length ? failed : missing;
      throw new GoBuildError(
        `building ${names.join(', ')} failed (${code === null ? 'timed out' : `go build exit ${code}`} after ${seconds.toFixed(0)}s)\n` +
        `--- last lines of ${logPath} ---\n${tailLines(logPath, 40)}`,
        { tools: names, logPath },
      );
    }
    for (const n of missing) renameSync(join(tmp, goOutputName(tools[n])), paths[n]);
    rmSync(tmp, { recursive: true, force: true });
    log(`built ${missing.join(', ')} in ${seconds.toFixed(0)}s`);
    pruneOldBuilds(dir, log);
    return { dir, paths, built: missing, seconds };
  }, timeoutMs);
}

function tailLines(path, n) {
  try {
    return readFileSync(path, 'utf8').trimEnd().split('\n').slice(-n).join('\n');
  } catch {
    return '(no log)';
  }
}
