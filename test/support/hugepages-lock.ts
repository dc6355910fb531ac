// One machine-wide hugepage pool, several tests that change or count it: DPDK on hugepages
// (test/capture/dpdk-hugepages.test.ts reserves pages and, for its failure case, holds every free
// one), and the real-node clusters (test/nodes, the demo test), whose start reserves pages for the
// kubelets and whose stop gives them back. vitest runs the unit and cluster projects side by side,
// so each of those holds this lock (a directory with the holder's pid; a dead holder's lock is
// taken over) while it touches the pool.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';

/** HugePages_Free of the machine (the default 2 MiB pool every test and node shares). */
export function hugepagesFree(): number {
  return Number(/^HugePages_Free:\s+(\d+)/m.exec(readFileSync('/proc/meminfo', 'utf8'))?.[1] ?? NaN);
}

const LOCK = '/run/tapline-hugepages.lock';

function holderAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Waits for the hugepage pool (up to timeoutMs) and returns the release function. */
export async function holdHugepages(what: string, timeoutMs = 20 * 60_000): Promise<() => void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      mkdirSync(LOCK);
      writeFileSync(`${LOCK}/pid`, `${process.pid} ${what}\n`);
      return () => rmSync(LOCK, { recursive: true, force: true });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      let holder = '';
      try { holder = readFileSync(`${LOCK}/pid`, 'utf8').trim(); } catch { /* being written */ }
      const pid = Number(holder.split(' ')[0]);
      if (Number.isInteger(pid) && pid > 0 && !holderAlive(pid)) {
        rmSync(LOCK, { recursive: true, force: true });
        continue;
      }
      if (Date.now() > deadline) throw new Error(`${what}: the hugepage pool is still held by ${holder || 'another test'} after ${timeoutMs / 1000} s`);
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}
