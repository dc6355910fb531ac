// The spool on its own: order through memory and disk, the full rules with every dropped
// record counted, and files left by an earlier run sent first; the disk tier off the event loop
// (write-behind and read-ahead, bounded), and what one process spooled read by the next.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

import { afterEach, describe, expect, it } from 'vitest';

import { packageRoot } from '../../agent/engine/binding.js';
import { READ_AHEAD_BYTES, WRITE_BEHIND_BYTES } from '../../agent/export/disk-spool.js';
import { isSpoolError } from '../../agent/export/errors.js';
import type { OutboundMessage } from '../../agent/export/message.js';
import { Spool, type Dropped } from '../../agent/export/spool.js';

const MiB = 1024 * 1024;
const dirs: string[] = [];
const spools: Spool[] = [];
afterEach(async () => {
  // what the spools still write or remove lands before their directories go
  await Promise.allSettled(spools.splice(0).map((s) => s.settled()));
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function spool(...args: ConstructorParameters<typeof Spool>): Spool {
  const s = new Spool(...args);
  spools.push(s);
  return s;
}
function tempDir(): string {
  const d = mkdtempSync(path.join(tmpdir(), 'tapline-spool-'));
  dirs.push(d);
  return d;
}

/** A message of about `kib` KiB carrying `records` records; its id says its place. */
function msg(i: number, kib = 100, records = 10): OutboundMessage {
  return { kind: 'flows', subject: 's.f', msgId: `n:b:flows:${i}`, schema: 'tapline.flow-batch.v2', records, payload: Buffer.alloc(kib * 1024, i % 251) };
}

function drain(s: Spool): OutboundMessage[] {
  const out: OutboundMessage[] = [];
  for (let m = s.shift(); m; m = s.shift()) out.push(m);
  return out;
}

/** drain(), each message acknowledged as soon as it is taken (NATS back): its file may go. */
function drainAcked(s: Spool): OutboundMessage[] {
  const out = drain(s);
  for (const m of out) s.release(m);
  return out;
}

const msgFiles = (dir: string) => readdirSync(dir).filter((f) => f.endsWith('.msg'));
const ids = (from: number, n: number) => Array.from({ length: n }, (_, i) => `n:b:flows:${from + i}`);

describe('spool', () => {
  it('memory only: keeps order; when full, dropOldest drops the oldest and counts every record', () => {
    const dropped: Dropped[] = [];
    const s = new Spool({ memoryBytes: MiB, diskBytes: 0, onFull: 'dropOldest' }, (d) => dropped.push(d));
    for (let i = 0; i < 20; i++) s.push(msg(i));
    // 1 MiB holds 10 messages of 100 KiB (plus bookkeeping): the first 10 went
    expect(dropped.map((d) => d.msgId)).toEqual(Array.from({ length: 10 }, (_, i) => `n:b:flows:${i}`));
    expect(dropped.reduce((n, d) => n + d.records, 0)).toBe(100);
    expect(s.stats()).toMatchObject({ messages: 10, records: 100, diskMessages: 0 });
    expect(drain(s).map((m) => m.msgId)).toEqual(Array.from({ length: 10 }, (_, i) => `n:b:flows:${i + 10}`));
    expect(s.stats()).toMatchObject({ messages: 0, records: 0, memoryBytes: 0 });
  });

  it('dropNewest keeps what is waiting and drops the arriving batch', () => {
    const dropped: Dropped[] = [];
    const s = new Spool({ memoryBytes: MiB, diskBytes: 0, onFull: 'dropNewest' }, (d) => dropped.push(d));
    for (let i = 0; i < 20; i++) s.push(msg(i));
    expect(dropped.map((d) => d.msgId)).toEqual(Array.from({ length: 10 }, (_, i) => `n:b:flows:${i + 10}`));
    expect(drain(s).map((m) => m.msgId)).toEqual(Array.from({ length: 10 }, (_, i) => `n:b:flows:${i}`));
  });

  it('spills to disk when memory is full and gives everything back in order, payloads intact', async () => {
    const dir = tempDir();
    const dropped: Dropped[] = [];
    const s = spool({ memoryBytes: MiB, dir, diskBytes: 4 * MiB, onFull: 'dropOldest' }, (d) => dropped.push(d));
    for (let i = 0; i < 40; i++) s.push(msg(i));
    const st = s.stats();
    expect(dropped).toEqual([]);
    expect(st.diskMessages).toBeGreaterThan(25);
    expect(st.memoryMessages + st.diskMessages).toBe(40);
    await s.settled(); // written behind
    expect(readdirSync(dir).filter((f) => f.endsWith('.msg'))).toHaveLength(st.diskMessages);
    // new arrivals go behind the disk ones even after memory frees up
    s.shift();
    s.push(msg(40));
    const rest = drain(s);
    expect(rest.map((m) => m.msgId)).toEqual(Array.from({ length: 40 }, (_, i) => `n:b:flows:${i + 1}`));
    expect(rest.every((m, i) => m.payload.length === 100 * 1024 && m.payload[0] === (i + 1) % 251)).toBe(true);
    await s.settled();
    // taken, not yet acknowledged: the files stay (and count against the disk budget); msg 40 went to disk too
    expect(msgFiles(dir)).toHaveLength(st.diskMessages + 1);
    for (const m of rest) s.release(m); // acknowledged
    await s.settled(); // removed behind
    expect(readdirSync(dir).filter((f) => f.endsWith('.msg'))).toEqual([]);
  });

  it('memory and disk full: dropOldest drops from the head of the whole queue', () => {
    const dir = tempDir();
    const dropped: Dropped[] = [];
    const s = spool({ memoryBytes: MiB, dir, diskBytes: MiB, onFull: 'dropOldest' }, (d) => dropped.push(d));
    for (let i = 0; i < 50; i++) s.push(msg(i, 100, 3));
    const kept = drain(s).map((m) => m.msgId);
    expect(dropped.length + kept.length).toBe(50);
    expect(dropped.reduce((n, d) => n + d.records, 0)).toBe(3 * dropped.length);
    expect(kept).toEqual(Array.from({ length: kept.length }, (_, i) => `n:b:flows:${50 - kept.length + i}`));
  });

  it('a file stays until its message is released (acknowledged): a process killed in between sends it again', async () => {
    const dir = tempDir();
    const first = spool({ memoryBytes: MiB, dir, diskBytes: 4 * MiB, onFull: 'dropOldest' }, () => undefined);
    for (let i = 0; i < 30; i++) first.push(msg(i));
    const onDisk = first.stats().diskMessages;
    await first.settled();
    const taken = drain(first); // all of them taken to be sent; none acknowledged yet
    await first.settled();
    expect(msgFiles(dir)).toHaveLength(onDisk);
    const halfAcked = taken.slice(0, taken.length - 5);
    for (const m of halfAcked) first.release(m);
    await first.settled();
    // killed now: the next start sends the 5 unacknowledged taken ones again (the stream's duplicate window drops them if stored), then the rest
    const second = spool({ memoryBytes: MiB, dir, diskBytes: 4 * MiB, onFull: 'dropOldest' }, () => undefined);
    const again = drain(second).map((m) => m.msgId);
    const unacked = taken.slice(-5).map((m) => m.msgId);
    expect(unacked.every((id) => again.includes(id))).toBe(true);
    expect(again.filter((id) => halfAcked.some((m) => m.msgId === id))).toEqual([]);
  });

  it('files of taken messages count against the disk budget until released', async () => {
    const dir = tempDir();
    const dropped: Dropped[] = [];
    const s = spool({ memoryBytes: MiB, dir, diskBytes: 2 * MiB, onFull: 'dropNewest' }, (d) => dropped.push(d));
    for (let i = 0; i < 15; i++) s.push(msg(i)); // 10 in memory, 5 on disk
    await s.settled();
    const taken = drain(s);
    expect(taken).toHaveLength(15);
    expect(dropped).toEqual([]);
    // 10 go to memory; the disk has room for 20 of these less the 5 files still held: 15; 15 dropped
    for (let i = 0; i < 40; i++) s.push(msg(100 + i));
    expect(dropped).toHaveLength(15);
    for (const m of taken) s.release(m);
    await s.settled();
    expect(msgFiles(dir)).toHaveLength(15);
  });

  it('a dropped message (onFull) that came from disk loses its file', async () => {
    const dir = tempDir();
    const dropped: Dropped[] = [];
    const s = spool({ memoryBytes: MiB, dir, diskBytes: 2 * MiB, onFull: 'dropOldest' }, (d) => dropped.push(d));
    for (let i = 0; i < 60; i++) s.push(msg(i));
    await s.settled();
    expect(dropped.length).toBeGreaterThan(0);
    const kept = drain(s);
    expect(dropped.length + kept.length).toBe(60);
    await s.settled();
    // on disk: only the kept ones' files, within the budget
    expect(msgFiles(dir).length).toBeLessThanOrEqual(kept.length);
    for (const m of kept) s.release(m);
    await s.settled();
    expect(msgFiles(dir)).toEqual([]);
  });

  it('files of an earlier run are sent first; a damaged one is set aside', async () => {
    const dir = tempDir();
    const first = spool({ memoryBytes: MiB, dir, diskBytes: 8 * MiB, onFull: 'dropOldest' }, () => undefined);
    for (let i = 0; i < 30; i++) first.push(msg(i));
    const onDisk = first.stats().diskMessages;
    expect(onDisk).toBeGreaterThan(0);
    await first.settled();
    writeFileSync(path.join(dir, '9999999999999999.msg'), 'garbage');
    // the process ends: what was in memory is gone, the files stay
    const second = spool({ memoryBytes: MiB, dir, diskBytes: 8 * MiB, onFull: 'dropOldest' }, () => undefined);
    expect(second.damagedFiles).toBe(1);
    expect(second.stats().records).toBe(onDisk * 10);
    second.push(msg(100));
    const ids = drain(second).map((m) => m.msgId);
    expect(ids).toEqual([...Array.from({ length: onDisk }, (_, i) => `n:b:flows:${30 - onDisk + i}`), 'n:b:flows:100']);
  });
});

describe('disk tier off the event loop', () => {
  it('a disk that does not answer blocks neither push() nor shift()', async () => {
    const dir = tempDir();
    const s = spool({ memoryBytes: MiB, dir, diskBytes: 16 * MiB, onFull: 'dropOldest' }, () => undefined);
    // the first file's temporary name is a FIFO nobody reads: opening it to write hangs
    const fifo = path.join(dir, '0000000000000000.msg.tmp');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    for (let i = 0; i < 40; i++) s.push(msg(i));
    const onDisk = s.stats().diskMessages;
    expect(onDisk).toBeGreaterThan(25);
    await new Promise((r) => setTimeout(r, 200)); // the event loop goes on
    expect(msgFiles(dir)).toEqual([]); // nothing written: the writer hangs
    expect(drainAcked(s).map((m) => m.msgId)).toEqual(ids(0, 40)); // NATS back: all from memory, acknowledged
    expect(s.syncReads).toBe(0);
    // the disk answers again: what was handed to the writer is written, then removed (released)
    const reader = spawn('cat', [fifo], { stdio: 'ignore' });
    const readerDone = new Promise((r) => reader.on('close', r));
    await s.settled();
    await readerDone;
    expect(readdirSync(dir)).toEqual([]);
  });

  it('a waiting input is told to wait before any message it may push is refused (fill reads 1 with less than 1 MiB of write-behind room)', async () => {
    const dir = tempDir();
    const dropped: Dropped[] = [];
    const s = spool({ memoryBytes: MiB, dir, diskBytes: 256 * MiB, onFull: 'dropNewest' }, (d) => dropped.push(d));
    const fifo = path.join(dir, '0000000000000000.msg.tmp'); // the writer hangs on the first file
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    // 100 KiB messages until about 31.5 MiB wait to be written (of WRITE_BEHIND_BYTES, 32 MiB)
    let i = 0;
    while (s.stats().diskMessages < Math.floor((WRITE_BEHIND_BYTES - MiB / 2) / (100 * 1024 + 128))) s.push(msg(i++));
    expect(dropped).toEqual([]);
    // a batch of 900 KiB would be refused now: a paced input (a capture file) must already wait
    // (it checked fill < 0.5 against the last, small, message's size and lost the large one)
    expect(s.fill).toBe(1);
    s.push(msg(i++, 900));
    expect(dropped).toHaveLength(1);
    // the waiting input is woken when the disk catches up, with no acknowledgement (NATS away)
    let woken = 0;
    s.onRoom = () => woken++;
    const reader = spawn('cat', [fifo], { stdio: 'ignore' });
    const readerDone = new Promise((r) => reader.on('close', r));
    await s.settled();
    await readerDone;
    expect(s.fill).toBeLessThan(0.5);
    expect(woken).toBeGreaterThan(0);
    expect(drain(s)).toHaveLength(i - 1);
  });

  it('written behind, in order: once settled every message of the disk tier is a file', async () => {
    const dir = tempDir();
    const s = spool({ memoryBytes: MiB, dir, diskBytes: 16 * MiB, onFull: 'dropOldest' }, () => undefined);
    for (let i = 0; i < 40; i++) s.push(msg(i));
    const onDisk = s.stats().diskMessages;
    await s.settled();
    expect(msgFiles(dir)).toEqual(Array.from({ length: onDisk }, (_, i) => `${String(i).padStart(16, '0')}.msg`));
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    expect(drain(s).map((m) => m.msgId)).toEqual(ids(0, 40));
    expect(s.syncReads).toBe(0); // the oldest stayed in memory (read-ahead window)
  });

  it('a message taken before its turn to be written never reaches the disk', async () => {
    const dir = tempDir();
    const s = spool({ memoryBytes: MiB, dir, diskBytes: 16 * MiB, onFull: 'dropOldest' }, () => undefined);
    for (let i = 0; i < 40; i++) s.push(msg(i));
    expect(drainAcked(s).map((m) => m.msgId)).toEqual(ids(0, 40)); // NATS back at once
    await s.settled(); // those handed to the writer before they were taken: written, then removed
    expect(readdirSync(dir)).toEqual([]);
    expect(s.stats()).toMatchObject({ messages: 0, records: 0, diskBytes: 0 });
  });

  it('past the read-ahead window files are read back in the background, before they are asked for', async () => {
    const dir = tempDir();
    const dropped: Dropped[] = [];
    const s = spool({ memoryBytes: MiB, dir, diskBytes: 64 * MiB, onFull: 'dropOldest' }, (d) => dropped.push(d));
    const n = Math.ceil((1.5 * READ_AHEAD_BYTES) / (100 * 1024)) + 10; // past the window (and memory)
    expect(n * 100 * 1024).toBeLessThan(WRITE_BEHIND_BYTES);
    for (let i = 0; i < n; i++) s.push(msg(i));
    await s.settled(); // all written; only the oldest READ_AHEAD_BYTES kept in memory
    const got: OutboundMessage[] = [];
    while (s.length > 0) {
      // a consumer sending a few at a time, as the publisher does between acknowledgements
      for (let k = 0; k < 8; k++) {
        const m = s.shift();
        if (m) got.push(m);
      }
      await s.settled();
    }
    for (const m of got) s.release(m);
    await s.settled();
    expect(dropped).toEqual([]);
    expect(got.map((m) => m.msgId)).toEqual(ids(0, n));
    expect(got.every((m, i) => m.payload.length === 100 * 1024 && m.payload[7] === i % 251)).toBe(true);
    expect(s.syncReads).toBe(0);
    expect(msgFiles(dir)).toEqual([]);
  });

  it('a consumer faster than the read-ahead still gets every message, in order (read on the spot)', async () => {
    const dir = tempDir();
    const dropped: Dropped[] = [];
    const s = spool({ memoryBytes: MiB, dir, diskBytes: 64 * MiB, onFull: 'dropOldest' }, (d) => dropped.push(d));
    const n = Math.ceil((1.5 * READ_AHEAD_BYTES) / (100 * 1024)) + 10;
    for (let i = 0; i < n; i++) s.push(msg(i));
    await s.settled();
    expect(drainAcked(s).map((m) => m.msgId)).toEqual(ids(0, n));
    expect(dropped).toEqual([]);
    expect(s.syncReads).toBeGreaterThan(0); // the last resort, counted
    await s.settled();
    expect(msgFiles(dir)).toEqual([]);
  });

  it.each(['dropOldest', 'dropNewest'] as const)('the disk more than WRITE_BEHIND_BYTES behind: the arriving message is dropped and counted (%s)', async (onFull) => {
    const dir = tempDir();
    const dropped: Dropped[] = [];
    const s = spool({ memoryBytes: MiB, dir, diskBytes: 256 * MiB, onFull }, (d) => dropped.push(d));
    const n = Math.ceil((WRITE_BEHIND_BYTES + 8 * MiB) / (100 * 1024)); // pushed faster than any disk
    for (let i = 0; i < n; i++) s.push(msg(i));
    const kept = n - dropped.length;
    expect(dropped.length).toBeGreaterThan(0);
    // the newest went, whatever the rule: the older ones were already on their way to disk
    expect(dropped.map((d) => d.msgId)).toEqual(ids(kept, dropped.length));
    expect(dropped.every((d) => d.records === 10)).toBe(true);
    expect(s.stats().messages).toBe(kept);
    expect(s.fill).toBe(1); // inputs that can wait (capture files) wait instead
    await s.settled();
    expect(s.fill).toBeLessThan(0.5);
    s.push(msg(n)); // caught up: taken again
    expect(dropped).toHaveLength(n - kept);
    expect(drain(s).map((m) => m.msgId)).toEqual([...ids(0, kept), `n:b:flows:${n}`]);
  });

  it('a file damaged while it waits is a SpoolError when its turn comes, as before', async () => {
    const dir = tempDir();
    const s = spool({ memoryBytes: MiB, dir, diskBytes: 64 * MiB, onFull: 'dropOldest' }, () => undefined);
    const n = Math.ceil(READ_AHEAD_BYTES / (100 * 1024)) + 40;
    for (let i = 0; i < n; i++) s.push(msg(i));
    await s.settled();
    const files = msgFiles(dir);
    const victim = files[files.length - 5]!; // past the read-ahead window: on disk only
    writeFileSync(path.join(dir, victim), 'garbage');
    const got: string[] = [];
    const err = await (async () => {
      try {
        for (;;) {
          const m = s.shift();
          if (!m) return undefined;
          got.push(m.msgId);
          await s.settled();
        }
      } catch (e) {
        return e;
      }
    })();
    expect(isSpoolError(err)).toBe(true);
    expect((err as Error).message).toContain(`spool file ${path.join(dir, victim)} is damaged`);
    expect(got).toEqual(ids(0, n - 5));
  });

  it('a write that fails is a SpoolError on the next push, and from settled()', async () => {
    const dir = tempDir();
    const s = spool({ memoryBytes: MiB, dir, diskBytes: 16 * MiB, onFull: 'dropOldest' }, () => undefined);
    for (let i = 0; i < 10; i++) s.push(msg(i)); // memory
    rmSync(dir, { recursive: true }); // the volume gone
    s.push(msg(10)); // to disk: queued
    const err = await s.settled().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isSpoolError(err)).toBe(true);
    expect((err as Error).message).toMatch(/cannot write spool file .*0000000000000000\.msg/);
    expect(() => s.push(msg(11))).toThrow(/cannot write spool file/);
    // the one that could not be written is still there to send
    expect(drain(s).map((m) => m.msgId)).toEqual(ids(0, 11));
  });

  it('what one process spooled is sent by the next start, also when it exits right after queueing', () => {
    const spoolJs = path.join(packageRoot(), 'dist', 'agent', 'export', 'spool.js');
    expect(existsSync(spoolJs), `${spoolJs}: run npm run build:ts`).toBe(true);
    for (const exit of ['natural', 'process.exit'] as const) {
      const dir = tempDir();
      // the first process queues 60 messages (50 to disk, none written yet) and ends at once
      const script = `
        import { Spool } from ${JSON.stringify(pathToFileURL(spoolJs).href)};
        const s = new Spool({ memoryBytes: 1 << 20, dir: ${JSON.stringify(dir)}, diskBytes: 64 << 20, onFull: 'dropOldest' }, () => { throw new Error('dropped'); });
        for (let i = 0; i < 60; i++) s.push({ kind: 'flows', subject: 's.f', msgId: 'n:b:flows:' + i, schema: 'tapline.flow-batch.v2', records: 10, payload: Buffer.alloc(100 * 1024, i % 251) });
        if (s.stats().diskMessages < 40) throw new Error('expected most on disk');
        ${exit === 'process.exit' ? 'process.exit(0);' : ''}`;
      const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
      const next = spool({ memoryBytes: MiB, dir, diskBytes: 64 * MiB, onFull: 'dropOldest' }, () => undefined);
      const onDisk = next.stats().diskMessages;
      expect(onDisk).toBeGreaterThan(40);
      const got = drain(next);
      expect(got.map((m) => m.msgId)).toEqual(ids(60 - onDisk, onDisk));
      expect(got.every((m, i) => m.payload.length === 100 * 1024 && m.payload[0] === (60 - onDisk + i) % 251)).toBe(true);
    }
  });
});
