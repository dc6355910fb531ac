// Child processes for the project's scripts: inherit stdio, fail loudly.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Runs a command with inherited stdio; throws naming the command if it fails. */
export function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { stdio: 'inherit', cwd: repoRoot, ...opts });
  if (r.error) throw new Error(`${cmd}: ${r.error.message}`);
  if (r.status !== 0) {
    const how = r.signal ? `signal ${r.signal}` : `exit code ${r.status}`;
    throw new Error(`${[cmd, ...args].join(' ')} failed (${how})`);
  }
}

/** Runs a command and returns its stdout, or null if it cannot run or fails. */
export function probe(cmd, args) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  return r.status === 0 ? r.stdout.trim() : null;
}

/** Prints a step header the way every script does. */
export function step(message) {
  process.stderr.write(`\n==> ${message}\n`);
}
