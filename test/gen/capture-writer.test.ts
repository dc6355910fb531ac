import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';

import { afterAll, describe, expect, it } from 'vitest';

import { readCapture } from './capture-reader.js';
import { CaptureStreamWriter, encodePcap, encodePcapng, writeCaptureFile, type CaptureFrame } from './capture-writer.js';
import { LINKTYPE_ETHERNET, LINKTYPE_LINUX_SLL2, LINKTYPE_RAW } from './packets.js';
import { formatRfc3339, quantize } from './time.js';

const dir = mkdtempSync(join(tmpdir(), 'tapline-gen-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const T0 = 1_700_000_000_123_456_789n;

function frame(ts: bigint, len: number, linktype = LINKTYPE_ETHERNET, fill = 0xab): CaptureFrame {
  const data = new Uint8Array(len).fill(fill);
  data[0] = len & 0xff;
  return { ts, linktype, data };
}

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

describe('pcap', () => {
  it('writes the little-endian microsecond header and records', () => {
    const b = encodePcap([frame(T0, 60), frame(T0 + 1_000n, 100)]);
    expect(hex(b.subarray(0, 24))).toBe(
      'd4c3b2a1' + '0200' + '0400' + '00000000' + '00000000' + '00000400' + '01000000', // magic, 2.4, zone, sigfigs, snaplen 262144, linktype 1
    );
    expect(b.readUInt32LE(24)).toBe(1_700_000_000);
    expect(b.readUInt32LE(28)).toBe(123_456); // microseconds, truncated
    expect(b.readUInt32LE(32)).toBe(60);
    expect(b.readUInt32LE(36)).toBe(60);
    expect(b.length).toBe(24 + 16 + 60 + 16 + 100);
  });

  it('writes the nanosecond magic and nanoseconds', () => {
    const b = encodePcap([frame(T0, 60)], { precision: 'ns' });
    expect(hex(b.subarray(0, 4))).toBe('4d3cb2a1');
    expect(b.readUInt32LE(28)).toBe(123_456_789);
  });

  it('cuts frames to the snaplen, keeping the wire length', () => {
    const b = encodePcap([frame(T0, 1514), frame(T0, 50)], { snaplen: 96, linktype: LINKTYPE_ETHERNET });
    expect(b.readUInt32LE(16)).toBe(96);
    expect(b.readUInt32LE(24 + 8)).toBe(96);
    expect(b.readUInt32LE(24 + 12)).toBe(1514);
    const second = 24 + 16 + 96;
    expect(b.readUInt32LE(second + 8)).toBe(50);
    expect(b.readUInt32LE(second + 12)).toBe(50);
    expect(b.length).toBe(second + 16 + 50);
  });

  it('refuses frames of another link type', () => {
    expect(() => encodePcap([frame(T0, 60), frame(T0, 60, LINKTYPE_RAW)])).toThrow(/pcapng/);
  });

  it('round-trips through the reader, gzip included', () => {
    const frames = [frame(T0, 60), frame(T0 + 5_000n, 1514, LINKTYPE_ETHERNET, 0x11), frame(T0 + 9_999_999n, 70, LINKTYPE_ETHERNET, 0x22)];
    for (const precision of ['us', 'ns'] as const) {
      const path = join(dir, `rt-${precision}.pcap.gz`);
      writeCaptureFile(path, frames, { precision, gzip: true, snaplen: 200 });
      const file = readFileSync(path);
      expect(file[0]).toBe(0x1f);
      const r = readCapture(file);
      expect(r.format).toBe('pcap');
      expect(r.gzip).toBe(true);
      expect(r.digits).toBe(precision === 'us' ? 6 : 9);
      expect(r.frames.map((f) => f.ts)).toEqual(frames.map((f) => quantize(f.ts, precision)));
      expect(r.frames.map((f) => [f.data.length, f.wirelen])).toEqual([[60, 60], [200, 1514], [70, 70]]);
      expect(hex(r.frames[1]?.data ?? new Uint8Array())).toBe(hex(frames[1]?.data.subarray(0, 200) ?? new Uint8Array()));
    }
  });
});

describe('pcapng', () => {
  it('writes SHB, one IDB per link type with if_tsresol, and EPBs', () => {
    const frames = [frame(T0, 61), frame(T0 + 1n, 40, LINKTYPE_RAW), frame(T0 + 2n, 60)];
    const b = encodePcapng(frames, { precision: 'ns' });
    // SHB
    expect(b.readUInt32LE(0)).toBe(0x0a0d0d0a);
    expect(b.readUInt32LE(4)).toBe(28);
    expect(b.readUInt32LE(8)).toBe(0x1a2b3c4d);
    expect([b.readUInt16LE(12), b.readUInt16LE(14)]).toEqual([1, 0]);
    expect(b.readUInt32LE(24)).toBe(28);
    // IDB 0: Ethernet, IDB 1: raw
    for (const [i, lt] of [[0, LINKTYPE_ETHERNET], [1, LINKTYPE_RAW]] as const) {
      const at = 28 + i * 32;
      expect(b.readUInt32LE(at)).toBe(1);
      expect(b.readUInt32LE(at + 4)).toBe(32);
      expect(b.readUInt16LE(at + 8)).toBe(lt);
      expect([b.readUInt16LE(at + 16), b.readUInt16LE(at + 18), b[at + 20]]).toEqual([9, 1, 9]); // if_tsresol = 10^-9
      expect(b.readUInt32LE(at + 28)).toBe(32);
    }
    // EPB 1: interface 0, 61 octets padded to 64
    const e = 28 + 64;
    expect(b.readUInt32LE(e)).toBe(6);
    expect(b.readUInt32LE(e + 4)).toBe(32 + 64);
    expect(b.readUInt32LE(e + 8)).toBe(0);
    const ticks = (BigInt(b.readUInt32LE(e + 12)) << 32n) | BigInt(b.readUInt32LE(e + 16));
    expect(ticks).toBe(T0);
    expect([b.readUInt32LE(e + 20), b.readUInt32LE(e + 24)]).toEqual([61, 61]);
    expect([...b.subarray(e + 28 + 61, e + 28 + 64)]).toEqual([0, 0, 0]);
    expect(b.readUInt32LE(e + 96 - 4)).toBe(96);
    // EPB 2 is on interface 1
    expect(b.readUInt32LE(e + 96 + 8)).toBe(1);
    const r = readCapture(b);
    expect(r.interfaces.map((i) => [i.linktype, i.tsresol])).toEqual([[1, 9], [101, 9]]);
    expect(r.frames.map((f) => [f.ts, f.linktype, f.data.length])).toEqual([[T0, 1, 61], [T0 + 1n, 101, 40], [T0 + 2n, 1, 60]]);
  });

  it('writes microsecond ticks with if_tsresol 6 and cuts to the snaplen', () => {
    const b = encodePcapng([frame(T0, 1000)], { snaplen: 128 });
    expect(b[28 + 20]).toBe(6);
    expect(b.readUInt32LE(28 + 12)).toBe(128); // IDB snaplen
    const r = readCapture(b);
    expect(r.frames[0]?.ts).toBe(quantize(T0, 'us'));
    expect([r.frames[0]?.data.length, r.frames[0]?.wirelen]).toEqual([128, 1000]);
  });
});

describe('CaptureStreamWriter', () => {
  const frames: CaptureFrame[] = [];
  for (let i = 0; i < 5000; i++) frames.push(frame(T0 + BigInt(i) * 1_234_567n, 54 + ((i * 37) % 1460), LINKTYPE_ETHERNET, i & 0xff));

  for (const format of ['pcap', 'pcapng'] as const) {
    for (const precision of ['us', 'ns'] as const) {
      it(`${format}/${precision}: same bytes as the one-shot encoder across chunk flushes`, () => {
        const path = join(dir, `stream-${format}-${precision}`);
        const w = new CaptureStreamWriter(path, { format, precision, linktypes: [LINKTYPE_ETHERNET], chunkBytes: 1 << 20, snaplen: 700 });
        for (const f of frames) w.writeFrame(f.ts, f.data, { caplen: 700 });
        w.close();
        const want = format === 'pcap' ? encodePcap(frames, { precision, snaplen: 700 }) : encodePcapng(frames, { precision, snaplen: 700 });
        const got = readFileSync(path);
        expect(got.length).toBe(want.length);
        expect(got.equals(want)).toBe(true);
        expect(w.records).toBe(frames.length);
        expect(w.fileBytes).toBe(want.length);
      });
    }
  }

  it('gzip: concatenated members decompress to the plain file', () => {
    const path = join(dir, 'stream.pcapng.gz');
    const w = new CaptureStreamWriter(path, { format: 'pcapng', linktypes: [LINKTYPE_ETHERNET, LINKTYPE_LINUX_SLL2], gzip: true, chunkBytes: 1 << 20 });
    for (const f of frames) w.writeFrame(f.ts, f.data, { iface: f.data.length % 2 });
    w.close();
    const plain = gunzipSync(readFileSync(path));
    expect(plain.length).toBe(w.captureBytes);
    const r = readCapture(readFileSync(path));
    expect(r.frames.length).toBe(frames.length);
    expect(r.frames.every((f, i) => f.linktype === (frames[i]!.data.length % 2 ? LINKTYPE_LINUX_SLL2 : LINKTYPE_ETHERNET))).toBe(true);
  });

  it('reserve() hands out offsets to write the frame in place; mem/arena share the chunk buffer', () => {
    const path = join(dir, 'reserve.pcap');
    const w = new CaptureStreamWriter(path, { linktypes: [LINKTYPE_RAW], arenaBytes: 64 });
    w.arena.fill(0x45, 0, 20);
    const at = w.reserve(1_700_000_000, 42, 20, 1500);
    w.mem.copyWithin(at, w.arenaOffset, w.arenaOffset + 20);
    w.close();
    const r = readCapture(readFileSync(path));
    expect(r.frames).toHaveLength(1);
    expect(r.frames[0]?.ts).toBe(1_700_000_000_000_042_000n);
    expect([...(r.frames[0]?.data ?? [])]).toEqual(new Array(20).fill(0x45));
    expect(r.frames[0]?.wirelen).toBe(1500);
  });
});

describe('formatRfc3339', () => {
  it('prints UTC with the capture precision, truncating', () => {
    expect(formatRfc3339(T0, 6)).toBe('2023-11-14T22:13:20.123456Z');
    expect(formatRfc3339(T0, 9)).toBe('2023-11-14T22:13:20.123456789Z');
    expect(formatRfc3339(1_700_000_000_000_000_000n, 6)).toBe('2023-11-14T22:13:20.000000Z');
    expect(formatRfc3339(951_782_400_000_000_001n, 9)).toBe('2000-02-29T00:00:00.000000001Z');
    expect(formatRfc3339(0n, 0)).toBe('1970-01-01T00:00:00Z');
  });
});
