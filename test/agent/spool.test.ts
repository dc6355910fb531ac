// The spool on its own: order through memory and disk, the full rules with every dropped
// record counted, and files left by an earlier run sent first.
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { afterEach, describe, expect, it } from 'vitest';

import type { OutboundMessage } from '../../agent/export/message.js';
import { Spool, type Dropped } from '../../agent/export/spool.js';

const MiB = 1024 * 1024;
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function tempDir(): string {
  const d = mkdtempSync(path.join(tmpdir(), 'tapline-spool-'));
  dirs.push(d);
  return d;
}

/** A message of about `kib` KiB carrying `records` records; its id says its place. */
function msg(i: number, kib = 100, records = 10): OutboundMessage {
  return { kind: 'flows', subject: 's.f', msgId: `n:b:flows:${i}`, schema: 'tapline.flow-batch.v1', records, payload: Buffer.alloc(kib * 1024, i % 251) };
}

function drain(s: Spool): OutboundMessage[] {
  const out: OutboundMessage[] = [];
  for (let m = s.shift(); m; m = s.shift()) out.push(m);
  return out;
}

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

  it('spills to disk when memory is full and gives everything back in order, payloads intact', () => {
    const dir = tempDir();
    const dropped: Dropped[] = [];
    const s = new Spool({ memoryBytes: MiB, dir, diskBytes: 4 * MiB, onFull: 'dropOldest' }, (d) => dropped.push(d));
    for (let i = 0; i < 40; i++) s.push(msg(i));
    const st = s.stats();
    expect(dropped).toEqual([]);
    expect(st.diskMessages).toBeGreaterThan(25);
    expect(st.memoryMessages + st.diskMessages).toBe(40);
    expect(readdirSync(dir).filter((f) => f.endsWith('.msg'))).toHaveLength(st.diskMessages);
    // new arrivals go behind the disk ones even after memory frees up
    s.shift();
    s.push(msg(40));
    const rest = drain(s);
    expect(rest.map((m) => m.msgId)).toEqual(Array.from({ length: 40 }, (_, i) => `n:b:flows:${i + 1}`));
    expect(rest.every((m, i) => m.payload.length === 100 * 1024 && m.payload[0] === (i + 1) % 251)).toBe(true);
    expect(readdirSync(dir).filter((f) => f.endsWith('.msg'))).toEqual([]);
  });

  it('memory and disk full: dropOldest drops from the head of the whole queue', () => {
    const dir = tempDir();
    const dropped: Dropped[] = [];
    const s = new Spool({ memoryBytes: MiB, dir, diskBytes: MiB, onFull: 'dropOldest' }, (d) => dropped.push(d));
    for (let i = 0; i < 50; i++) s.push(msg(i, 100, 3));
    const kept = drain(s).map((m) => m.msgId);
    expect(dropped.length + kept.length).toBe(50);
    expect(dropped.reduce((n, d) => n + d.records, 0)).toBe(3 * dropped.length);
    expect(kept).toEqual(Array.from({ length: kept.length }, (_, i) => `n:b:flows:${50 - kept.length + i}`));
  });

  it('files of an earlier run are sent first; a damaged one is set aside', () => {
    const dir = tempDir();
    const first = new Spool({ memoryBytes: MiB, dir, diskBytes: 8 * MiB, onFull: 'dropOldest' }, () => undefined);
    for (let i = 0; i < 30; i++) first.push(msg(i));
    const onDisk = first.stats().diskMessages;
    expect(onDisk).toBeGreaterThan(0);
    writeFileSync(path.join(dir, '9999999999999999.msg'), 'garbage');
    // the process ends: what was in memory is gone, the files stay
    const second = new Spool({ memoryBytes: MiB, dir, diskBytes: 8 * MiB, onFull: 'dropOldest' }, () => undefined);
    expect(second.damagedFiles).toBe(1);
    expect(second.stats().records).toBe(onDisk * 10);
    second.push(msg(100));
    const ids = drain(second).map((m) => m.msgId);
    expect(ids).toEqual([...Array.from({ length: onDisk }, (_, i) => `n:b:flows:${30 - onDisk + i}`), 'n:b:flows:100']);
  });
});
