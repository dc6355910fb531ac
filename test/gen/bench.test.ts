import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';

import { writeBenchFlood, writeBenchMix } from './bench.js';
import { captureFromFile } from './capture-reader.js';
import { internetChecksum, pseudoHeaderSum } from './checksum.js';
import { expectFlows } from './flow-model.js';

const dir = mkdtempSync(join(tmpdir(), 'tapline-bench-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('writeBenchMix', () => {
  for (const variant of [
    { name: 'pcap/us', opts: {} },
    { name: 'pcapng/ns/gzip', opts: { format: 'pcapng', precision: 'ns', gzip: true } },
    { name: 'pcap/snaplen 80', opts: { snaplen: 80 } },
  ] as const) {
    it(`${variant.name}: its summary is what the engine's flow semantics make of the file`, () => {
      const path = join(dir, `mix-${variant.name.replace(/\W+/g, '-')}`);
      const s = writeBenchMix(path, { packets: 30_000, concurrentFlows: 2_000, seed: 9, ...variant.opts });
      expect(s.packets).toBe(30_000);
      const cap = captureFromFile(readFileSync(path));
      expect(cap.frames).toHaveLength(30_000);
      expect(cap.frames.every((f) => f.meta !== null)).toBe(true);
      expect(cap.frames.filter((f) => f.meta?.version === 6)).toHaveLength(s.ipv6Packets);
      const recs = expectFlows(cap);
      expect(recs).toHaveLength(s.flows);
      expect(recs.filter((r) => r.endReason === 'fin')).toHaveLength(s.closedFlows);
      expect(recs.filter((r) => r.endReason !== 'fin' && r.endReason !== 'eof')).toEqual([]);
      expect(recs.filter((r) => r.proto === 6)).toHaveLength(s.tcpFlows);
      expect(recs.reduce((n, r) => n + r.bytes + r.revBytes, 0)).toBe(s.ipBytes);
      expect(cap.read.frames.reduce((n, f) => n + f.wirelen, 0)).toBe(s.wireBytes);
      expect(cap.read.frames[cap.read.frames.length - 1]?.ts).toBe(s.lastTsNs);
      // Frame sizes: many minimum-size frames, some 576- and 1500-octet IP packets.
      const ip = cap.frames.map((f) => f.meta?.ipBytes ?? 0);
      expect(ip.filter((n) => n <= 64).length / ip.length).toBeGreaterThan(0.3);
      expect(ip.filter((n) => n === 576).length).toBeGreaterThan(1000);
      expect(ip.filter((n) => n === 1500).length).toBeGreaterThan(1000);
    });
  }

  it('writes valid IPv4 header and TCP/UDP checksums', () => {
    const path = join(dir, 'mix-checksums.pcap');
    writeBenchMix(path, { packets: 3_000, concurrentFlows: 300, seed: 4, ipv6Share: 0.3 });
    const cap = captureFromFile(readFileSync(path));
    for (const f of cap.read.frames) {
      const d = f.data;
      const h = 14;
      const v6 = d[h]! >> 4 === 6;
      const ihl = v6 ? 40 : (d[h]! & 15) * 4;
      if (!v6) expect(internetChecksum(d, h, h + 20)).toBe(0);
      const len = v6 ? (d[h + 4]! << 8) | d[h + 5]! : ((d[h + 2]! << 8) | d[h + 3]!) - ihl;
      const proto = d[h + (v6 ? 6 : 9)]!;
      const src = v6 ? d.subarray(h + 8, h + 24) : d.subarray(h + 12, h + 16);
      const dst = v6 ? d.subarray(h + 24, h + 40) : d.subarray(h + 16, h + 20);
      expect(internetChecksum(d, h + ihl, h + ihl + len, pseudoHeaderSum(src, dst, proto, len))).toBe(0);
    }
  });

  it('refuses a snaplen that would cut the headers', () => {
    expect(() => writeBenchMix(join(dir, 'x.pcap'), { packets: 10, snaplen: 60 })).toThrow(/snaplen/);
  });

  it('is deterministic for a seed', () => {
    writeBenchMix(join(dir, 'a.pcap'), { packets: 5_000, concurrentFlows: 500, seed: 3 });
    writeBenchMix(join(dir, 'b.pcap'), { packets: 5_000, concurrentFlows: 500, seed: 3 });
    expect(readFileSync(join(dir, 'a.pcap')).equals(readFileSync(join(dir, 'b.pcap')))).toBe(true);
  });
});

describe('writeBenchFlood', () => {
  it('nearly every packet is a new flow; replies make two-packet flows', () => {
    const path = join(dir, 'flood.pcap');
    const s = writeBenchFlood(path, { packets: 20_000, seed: 2, replyShare: 0.05 });
    const cap = captureFromFile(readFileSync(path));
    const recs = expectFlows(cap);
    expect(recs).toHaveLength(s.flows);
    expect(s.flows).toBeGreaterThan(18_000);
    expect(recs.filter((r) => r.revPackets === 1)).toHaveLength(20_000 - s.flows);
    expect(recs.every((r) => r.dstAddr === '192.0.2.80' && r.tcpFlags === 0x02 && r.packets === 1)).toBe(true);
    expect(cap.read.frames.every((f) => f.data.length === 60 && internetChecksum(f.data, 14, 34) === 0)).toBe(true);
  });
});
