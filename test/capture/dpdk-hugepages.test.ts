// DPDK on real 2 MiB hugepages (no --no-huge), each case in its own `tapline capture` process:
//  - the test reserves pages if too few are free (nr_hugepages, restored after) and mounts its own
//    hugetlbfs (pagesize=2M, size-limited so statfs counts what is used in it);
//  - net_pcap replaying a generated capture and net_af_packet with 2 queue pairs on a veth pair in
//    a network namespace, both with --huge-dir: exact records, and the pages really came from the
//    mount (its statfs, the process's HugetlbPages and its mappings of unlinked files in the mount,
//    HugePages_Free) while it ran;
//  - without --huge-dir (--in-memory): pages from the kernel (memfd), no mount needed;
//  - after each exit: no file in the mount, every page free again, no runtime directory;
//  - no free hugepages (all taken by another holder): the clear error, exit 1.
import { execFileSync, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { holdHugepages, hugepagesFree } from '../support/hugepages-lock.js';

import {
  buildLiveCapture, diffIgnoringTime, dpdkLeftovers, liveSkipReason, parseRecords, runCapture, summaryNumber, TestNetns, type LiveCapture,
} from './live-support.js';

const PAGES_2M = '/sys/kernel/mm/hugepages/hugepages-2048kB';
/** Pages this file needs free: 64 MiB preallocated per run (--memory) plus the mempools' growth, with room to spare. */
const PAGES_NEEDED = 128;
const MEMORY_MIB = 64;

function hugetlbfsSupported(): boolean {
  try {
    return /\thugetlbfs$/m.test(readFileSync('/proc/filesystems', 'utf8'));
  } catch {
    return false;
  }
}

/** Why hugepages cannot be used here, or null. */
const skipReason: string | null =
  liveSkipReason ??
  (!existsSync(PAGES_2M)
    ? `${PAGES_2M} does not exist: the kernel has no 2 MiB hugepages (CONFIG_HUGETLBFS)`
    : !hugetlbfsSupported()
      ? 'hugetlbfs is not in /proc/filesystems: cannot mount one'
      : null);

const readNumber = (file: string): number => Number(readFileSync(file, 'utf8').trim());
const free2M = (): number => readNumber(path.join(PAGES_2M, 'free_hugepages'));

/** HugePages_Free from /proc/meminfo (pages of the default size, 2 MiB here). */

/** Pages in use in a size-limited hugetlbfs mount (counted until the last mapping goes, unlinked files too). */
function mountUsedPages(dir: string): number {
  const s = statfsSync(dir);
  return s.blocks - s.bfree;
}

interface HugepageUse {
  /** HugePages_Free while the capture ran. */
  free: number;
  /** Pages in use in the test's mount. */
  mountUsed: number;
  /** The capture process's HugetlbPages (/proc/PID/status), in KiB. */
  processKiB: number;
  /** The capture's mappings of files in the mount (unlinked: "(deleted)"). */
  mountMappings: string[];
  /** Its mappings of memfd hugepage segments (--in-memory). */
  memfdMappings: string[];
}

function hugepageUse(pid: number, mount: string): HugepageUse {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const maps = readFileSync(`/proc/${pid}/maps`, 'utf8').split('\n');
  return {
    free: hugepagesFree(),
    mountUsed: mountUsedPages(mount),
    processKiB: Number(/^HugetlbPages:\s+(\d+) kB/m.exec(status)?.[1] ?? NaN),
    mountMappings: maps.filter((l) => l.includes(`${mount}/`)),
    memfdMappings: maps.filter((l) => l.includes('/memfd:seg_')),
  };
}

/**
 * Takes every free hugepage (of every size) with files in hugetlbfs mounts of its own, as another
 * DPDK process on the node would; release() gives them back.
 */
function takeAllFreeHugepages(base: string): { release: () => void } {
  const mounts: string[] = [];
  const release = () => {
    for (const m of mounts) spawnSync('umount', [m], { stdio: 'ignore' });
    rmSync(base, { recursive: true, force: true });
  };
  try {
    for (const size of readdirSync('/sys/kernel/mm/hugepages')) {
      const free = readNumber(path.join('/sys/kernel/mm/hugepages', size, 'free_hugepages'));
      if (free === 0) continue;
      const kib = Number(/^hugepages-(\d+)kB$/.exec(size)?.[1]);
      const dir = path.join(base, size);
      mkdirSync(dir, { recursive: true });
      execFileSync('mount', ['-t', 'hugetlbfs', '-o', `pagesize=${kib}K`, 'nodev', dir]);
      mounts.push(dir);
      execFileSync('fallocate', ['-l', String(free * kib * 1024), path.join(dir, 'held')]);
    }
  } catch (err) {
    release();
    throw err;
  }
  return { release };
}

describe.skipIf(skipReason !== null)(`DPDK capture on 2 MiB hugepages${skipReason ? ` (${skipReason})` : ''}`, () => {
  const netns = new TestNetns('dpdkhp');
  let oldNrHugepages: number | undefined;
  let tmp: string;
  let mount: string;
  let mounted = false;
  let replayed: LiveCapture;
  let leftoversBefore: string[];
  let freeBefore: number;
  let releasePool: (() => void) | undefined;

  beforeAll(async () => {
    // The pool is the machine's: real-node clusters reserve and return pages too (test/nodes).
    releasePool = await holdHugepages('test/capture/dpdk-hugepages.test.ts');
    leftoversBefore = dpdkLeftovers();
    const free = free2M();
    if (free < PAGES_NEEDED) {
      const nr = path.join(PAGES_2M, 'nr_hugepages');
      oldNrHugepages = readNumber(nr);
      writeFileSync(nr, String(oldNrHugepages + PAGES_NEEDED - free));
      const got = free2M();
      if (got < PAGES_NEEDED) {
        throw new Error(
          `could reserve only ${got} free 2 MiB hugepages of the ${PAGES_NEEDED} this test needs ` +
            `(nr_hugepages ${readNumber(nr)}): memory too fragmented? (echo 1 > /proc/sys/vm/compact_memory)`,
        );
      }
    }
    tmp = mkdtempSync(path.join(tmpdir(), 'tapline-hugepages-'));
    mount = path.join(tmp, 'mnt');
    mkdirSync(mount);
    // Size-limited, so statfs counts the pages in use in this mount (unlinked files included).
    execFileSync('mount', ['-t', 'hugetlbfs', '-o', `pagesize=2M,size=${PAGES_NEEDED * 2}M`, 'nodev', mount]);
    mounted = true;
    freeBefore = hugepagesFree();
    replayed = buildLiveCapture('dpdk-hugepages-pcap', 31, { extraFlows: 20, fragments: true });
    netns.create();
  }, 25 * 60_000);

  afterAll(() => {
    netns.destroy();
    if (mounted) spawnSync('umount', [mount], { stdio: 'ignore' });
    if (tmp) rmSync(tmp, { recursive: true, force: true });
    if (oldNrHugepages !== undefined) writeFileSync(path.join(PAGES_2M, 'nr_hugepages'), String(oldNrHugepages));
    releasePool?.();
  });

  /** Nothing left once a capture has exited: every page back, no file in the mount, no runtime directory. */
  function expectNothingLeft(): void {
    expect(readdirSync(mount)).toEqual([]);
    expect(mountUsedPages(mount)).toBe(0);
    expect(hugepagesFree()).toBe(freeBefore);
    expect(dpdkLeftovers()).toEqual(leftoversBefore);
  }

  it('net_pcap with --huge-dir: exact records, pages taken from the mount while it runs, all back after', async () => {
    let use: HugepageUse | undefined;
    const run = await runCapture(
      ['--backend', 'dpdk', '--huge-dir', mount, '--memory', String(MEMORY_MIB), '--vdev', `net_pcap0,rx_pcap=${replayed.file}`, '--duration', '2', '-f', 'jsonl'],
      { during: (child: ChildProcess) => (use = hugepageUse(child.pid!, mount)) },
    );
    expect(run.code, run.stderr).toBe(0);
    expect(diffIgnoringTime(parseRecords(run.stdout), replayed.expected)).toEqual([]);
    expect(summaryNumber(run.stderr, 'capture +received')).toBe(replayed.frames);
    expect(summaryNumber(run.stderr, 'rxNombuf')).toBe(0);
    // --memory 64: at least 32 pages, all of them files in the test's mount, unlinked once mapped.
    expect(use, run.stderr).toBeDefined();
    expect(use!.mountUsed).toBeGreaterThanOrEqual(MEMORY_MIB / 2);
    expect(use!.processKiB).toBe(use!.mountUsed * 2048);
    expect(use!.free).toBeLessThanOrEqual(freeBefore - use!.mountUsed);
    expect(use!.mountMappings.length).toBeGreaterThan(0);
    expect(use!.mountMappings.every((l) => l.endsWith('(deleted)')), use!.mountMappings.join('\n')).toBe(true);
    expect(use!.memfdMappings).toEqual([]);
    expectNothingLeft();
  });

  it('net_af_packet with 2 queue pairs on a veth pair, --huge-dir: exact records, no flow split', async () => {
    const traffic = buildLiveCapture('dpdk-hugepages-veth', 32, { extraFlows: 40 });
    let use: HugepageUse | undefined;
    const run = await runCapture(
      [
        '--backend', 'dpdk', '--huge-dir', mount, '--memory', String(MEMORY_MIB), '--vdev', 'net_af_packet0,iface=vrx,qpairs=2',
        '--workers', '2', '--duration', '3', '-f', 'jsonl',
      ],
      {
        netns,
        during: (child: ChildProcess) => {
          use = hugepageUse(child.pid!, mount);
          netns.replay(traffic.file);
        },
      },
    );
    expect(run.code, run.stderr).toBe(0);
    expect(diffIgnoringTime(parseRecords(run.stdout), traffic.expected)).toEqual([]);
    expect(summaryNumber(run.stderr, 'q0')).toBeGreaterThan(0);
    expect(summaryNumber(run.stderr, 'q1')).toBeGreaterThan(0);
    expect(summaryNumber(run.stderr, 'rxNombuf')).toBe(0);
    expect(use, run.stderr).toBeDefined();
    expect(use!.mountUsed).toBeGreaterThanOrEqual(MEMORY_MIB / 2);
    expect(use!.processKiB).toBe(use!.mountUsed * 2048);
    expect(use!.free).toBeLessThanOrEqual(freeBefore - use!.mountUsed);
    expect(use!.mountMappings.every((l) => l.endsWith('(deleted)'))).toBe(true);
    expectNothingLeft();
  });

  it('without --huge-dir (--in-memory): hugepages from the kernel (memfd), none through the mount', async () => {
    let use: HugepageUse | undefined;
    const run = await runCapture(
      ['--backend', 'dpdk', '--memory', String(MEMORY_MIB), '--vdev', `net_pcap0,rx_pcap=${replayed.file}`, '--duration', '1', '-f', 'jsonl'],
      { during: (child: ChildProcess) => (use = hugepageUse(child.pid!, mount)) },
    );
    expect(run.code, run.stderr).toBe(0);
    expect(diffIgnoringTime(parseRecords(run.stdout), replayed.expected)).toEqual([]);
    expect(use, run.stderr).toBeDefined();
    expect(use!.processKiB).toBeGreaterThanOrEqual(MEMORY_MIB * 1024);
    expect(freeBefore - use!.free).toBeGreaterThanOrEqual(use!.processKiB / 2048);
    expect(use!.memfdMappings.length).toBeGreaterThan(0);
    expect(use!.mountUsed).toBe(0);
    expect(use!.mountMappings).toEqual([]);
    expectNothingLeft();
  });

  it('no free hugepages: the clear error, exit 1, nothing left behind', async () => {
    const held = takeAllFreeHugepages(path.join(tmp, 'held'));
    try {
      expect(free2M()).toBe(0);
      const run = await runCapture(['--backend', 'dpdk', '--huge-dir', mount, '--vdev', 'net_null0', '--duration', '1']);
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(/no free hugepages on this node: reserve some \(.*\) or run with --no-huge/);
      expect(run.stderr).not.toContain('listening');
    } finally {
      held.release();
    }
    expectNothingLeft();
  });
});

describe('hugepage flags of tapline capture', () => {
  it('refuses --huge-dir with --no-huge (exit 2)', async () => {
    const run = await runCapture(['--backend', 'dpdk', '--no-huge', '--huge-dir', '/mnt/huge', '--vdev', 'net_null0', '--duration', '1']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--huge-dir: not with --no-huge (no hugepages are used)');
  });
});
