// Starting and stopping the cluster's processes: free loopback ports, detached children with
// their output in log files, and a stop that only ever signals a pid still running our binary.
import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync, readlinkSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { sleep, tailOfFile } from './util.mjs';

/** `n` distinct free TCP ports on 127.0.0.1 (held together while choosing, so no duplicates). */
export async function freePorts(n) {
  const servers = [];
  try {
    for (let i = 0; i < n; i++) {
      const srv = createServer();
      await new Promise((resolve, reject) => {
        srv.once('error', reject);
        srv.listen({ host: '127.0.0.1', port: 0, exclusive: true }, resolve);
      });
      servers.push(srv);
    }
    return servers.map((s) => s.address().port);
  } finally {
    await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  }
}

export class ProcessError extends Error {
  constructor(message, { component, logPath, cause } = {}) {
    super(message, { cause });
    this.name = 'ProcessError';
    this.component = component;
    this.logPath = logPath;
  }
}
export const isProcessError = (e) => e instanceof Error && e.name === 'ProcessError';

/**
 * Starts `bin args...` detached (its own process group, so it outlives this script and can be
 * stopped as a group), stdout+stderr appended to <logDir>/<name>.log. `netns`: run it in that
 * named network namespace (nsenter execs it, so the pid and /proc/<pid>/exe are still `bin`'s).
 * Returns { name, pid, bin, logPath, exited(): {code, signal}|undefined }.
 */
export function startProcess({ name, bin, args, logDir, env = process.env, cwd, netns }) {
  const logPath = join(logDir, `${name}.log`);
  const fd = openSync(logPath, 'a');
  let child;
  try {
    const [cmd, argv] = netns ? ['nsenter', [`--net=/run/netns/${netns}`, '--', bin, ...args]] : [bin, args];
    child = spawn(cmd, argv, { cwd, env, detached: true, stdio: ['ignore', fd, fd] });
  } finally {
    closeSync(fd);
  }
  let exit;
  let spawnError;
  child.on('exit', (code, signal) => { exit = { code, signal }; });
  child.on('error', (e) => { spawnError = e; exit = { code: null, signal: null, error: e }; });
  child.unref();
  if (child.pid === undefined) {
    throw new ProcessError(`cannot start ${name} (${bin}): ${spawnError?.message ?? 'spawn failed'}`, { component: name, logPath });
  }
  return { name, pid: child.pid, bin, logPath, exited: () => exit };
}

/** Throws a ProcessError with the log's tail when a process started by startProcess has died. */
export function assertRunning(proc) {
  const ex = proc.exited();
  if (ex) {
    const how = ex.error ? ex.error.message : ex.signal ? `killed by ${ex.signal}` : `exit code ${ex.code}`;
    throw new ProcessError(`${proc.name} exited during startup (${how}); last lines of ${proc.logPath}:\n${tailOfFile(proc.logPath, 25)}`, { component: proc.name, logPath: proc.logPath });
  }
}

/** True when `pid` is alive and its executable is `bin` (guards against a recycled pid). */
export function isOurProcess(pid, bin) {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    const exe = readlinkSync(`/proc/${pid}/exe`).replace(/ \(deleted\)$/, '');
    if (exe === bin) return true;
    // Fallback for a binary replaced since start: compare argv[0].
    const argv0 = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')[0];
    return argv0 === bin;
  } catch {
    return false;
  }
}

function signalGroup(pid, sig) {
  try {
    process.kill(-pid, sig); // detached: the child leads its own process group
  } catch {
    try { process.kill(pid, sig); } catch { /* already gone */ }
  }
}

function isAliveNotZombie(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

/**
 * Stops a process we started: SIGTERM to its group, SIGKILL after `graceMs`. Does nothing when
 * the pid no longer runs `bin`. Resolves true when it had to be stopped.
 */
export async function stopProcess({ pid, bin }, { graceMs = 10_000 } = {}) {
  if (!isOurProcess(pid, bin)) return false;
  signalGroup(pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline) {
    if (!isAliveNotZombie(pid)) return true;
    await sleep(100);
  }
  signalGroup(pid, 'SIGKILL');
  const killDeadline = Date.now() + 5_000;
  while (Date.now() < killDeadline && isAliveNotZombie(pid)) await sleep(100);
  return true;
}
