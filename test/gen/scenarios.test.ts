import { describe, expect, it } from 'vitest';

import { decodeFrame } from './capture-reader.js';
import { crc32c, internetChecksum, pseudoHeaderSum } from './checksum.js';
import { encodePcap, encodePcapng } from './capture-writer.js';
import { captureFromFile } from './capture-reader.js';
import { expectFlows, expectFlowsDetailed, type FlowRecordJson } from './flow-model.js';
import { LINKTYPE_ETHERNET, LINKTYPE_LINUX_SLL, LINKTYPE_LINUX_SLL2, LINKTYPE_RAW } from './packets.js';
import { buildCapture, type Capture } from './scenario.js';
import { buildMixedCapture, mixedScenarios, SCENARIOS, snaplenScenario } from './scenarios.js';

function l3Offset(d: Uint8Array, linktype: number): number {
  let p: number;
  let type: number;
  switch (linktype) {
    case LINKTYPE_RAW: return 0;
    case LINKTYPE_ETHERNET: p = 14; type = (d[12]! << 8) | d[13]!; break;
    case LINKTYPE_LINUX_SLL: p = 16; type = (d[14]! << 8) | d[15]!; break;
    case LINKTYPE_LINUX_SLL2: p = 20; type = (d[0]! << 8) | d[1]!; break;
    default: throw new Error(`linktype ${linktype}`);
  }
  while (type === 0x8100 || type === 0x88a8 || type === 0x9100) {
    type = (d[p + 2]! << 8) | d[p + 3]!;
    p += 4;
  }
  return p;
}

/** Verifies every checksum of an unfragmented, uncut frame; returns what it checked. */
function verifyChecksums(d: Uint8Array, linktype: number): string {
  const h = l3Offset(d, linktype);
  const version = d[h]! >> 4;
  let proto: number;
  let l4: number;
  let end: number;
  let src: Uint8Array;
  let dst: Uint8Array;
  if (version === 4) {
    const ihl = (d[h]! & 15) * 4;
    expect(internetChecksum(d, h, h + ihl)).toBe(0);
    if ((((d[h + 6]! << 8) | d[h + 7]!) & 0x3fff) !== 0) return 'ipv4-fragment';
    proto = d[h + 9]!;
    l4 = h + ihl;
    end = h + ((d[h + 2]! << 8) | d[h + 3]!);
    src = d.subarray(h + 12, h + 16);
    dst = d.subarray(h + 16, h + 20);
  } else {
    proto = d[h + 6]!;
    l4 = h + 40;
    end = h + 40 + ((d[h + 4]! << 8) | d[h + 5]!);
    src = d.subarray(h + 8, h + 24);
    dst = d.subarray(h + 24, h + 40);
    while (proto === 0 || proto === 60 || proto === 44) {
      if (proto === 44) return 'ipv6-fragment';
      proto = d[l4]!;
      l4 += (d[l4 + 1]! + 1) * 8;
    }
  }
  const seg = d.subarray(l4, end);
  switch (proto) {
    case 6:
    case 17:
    case 58:
      expect(internetChecksum(seg, 0, seg.length, pseudoHeaderSum(src, dst, proto, seg.length))).toBe(0);
      break;
    case 1:
      expect(internetChecksum(seg)).toBe(0);
      break;
    case 132: {
      const copy = Uint8Array.from(seg);
      const stored = new DataView(copy.buffer).getUint32(8, true);
      copy.fill(0, 8, 12);
      expect(crc32c(copy)).toBe(stored);
      break;
    }
    default:
      throw new Error(`proto ${proto}`);
  }
  return `proto-${proto}`;
}

function sum<T>(xs: readonly T[], f: (x: T) => number): number {
  return xs.reduce((n, x) => n + f(x), 0);
}

describe('scenario frames', () => {
  const cap = buildMixedCapture(11, { linktypes: true, precision: 'ns' });

  it('are time-ordered', () => {
    for (let i = 1; i < cap.frames.length; i++) expect(cap.frames[i]!.ts >= cap.frames[i - 1]!.ts).toBe(true);
  });

  it('decode (as the engine parses) to the metadata they were built with', () => {
    for (const f of cap.frames) {
      const d = decodeFrame(f.data, f.linktype);
      expect(d, f.meta.scenario).not.toBeNull();
      expect({ ...d, scenario: f.meta.scenario, minCaplen: f.meta.minCaplen }).toEqual(f.meta);
    }
  });

  it('carry valid IPv4 header, TCP, UDP, ICMP, ICMPv6 and SCTP checksums', () => {
    const seen = new Set<string>();
    for (const f of cap.frames) seen.add(verifyChecksums(f.data, f.linktype));
    expect([...seen].sort()).toEqual(['ipv4-fragment', 'ipv6-fragment', 'proto-1', 'proto-132', 'proto-17', 'proto-58', 'proto-6']);
  });

  it('are not parsed once cut below minCaplen, and are at minCaplen', () => {
    for (const f of cap.frames) {
      const wire = f.data.length;
      expect(decodeFrame(f.data.subarray(0, f.meta.minCaplen), f.linktype, wire), f.meta.scenario).not.toBeNull();
      if (f.meta.minCaplen > 0) expect(decodeFrame(f.data.subarray(0, f.meta.minCaplen - 1), f.linktype, wire)).toBeNull();
    }
  });

  it('cover every named scenario in the mixed capture (bar snaplen)', () => {
    const names = new Set(cap.frames.map((f) => f.meta.scenario));
    expect([...names].sort()).toEqual(Object.keys(SCENARIOS).filter((n) => n !== 'snaplen').sort());
  });

  it('are deterministic for a seed and differ between seeds', () => {
    const a = encodePcapng(buildMixedCapture(5, { linktypes: true }).frames);
    const b = encodePcapng(buildMixedCapture(5, { linktypes: true }).frames);
    const c = encodePcapng(buildMixedCapture(6, { linktypes: true }).frames);
    expect(a.equals(b)).toBe(true);
    expect(a.equals(c)).toBe(false);
  });
});

describe('expected flows: invariants', () => {
  for (const seed of [1, 2, 3]) {
    for (const timeouts of [{}, { activeSec: 3 }, { idleSec: 5, activeSec: 4 }, { idleSec: 60 }]) {
      it(`seed ${seed}, timeouts ${JSON.stringify(timeouts)}: every parsed packet and IP byte is in exactly one record`, () => {
        const cap = buildMixedCapture(seed, { linktypes: true });
        const recs = expectFlows(cap, timeouts);
        expect(sum(recs, (r) => r.packets + r.revPackets)).toBe(cap.frames.length);
        expect(sum(recs, (r) => r.bytes + r.revBytes)).toBe(sum(cap.frames, (f) => f.meta.ipBytes));
        for (const r of recs) {
          expect(r.packets + r.revPackets).toBeGreaterThan(0); // (a piece after an active cut may have none from its src)
          expect(r.start <= r.end).toBe(true);
          expect(r.communityId).toMatch(/^1:[A-Za-z0-9+/]{27}=$/);
          expect(r.start).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
          if (r.proto !== 6) expect([r.tcpFlags, r.revTcpFlags]).toEqual([0, 0]);
        }
      });
    }
  }

  it('records sort stably and keys are unique', () => {
    const recs = expectFlows(buildMixedCapture(4, { linktypes: true }), { activeSec: 2 });
    const keys = recs.map((r) => `${r.start} ${r.srcAddr} ${r.srcPort} ${r.dstAddr} ${r.dstPort} ${r.proto} ${r.vlan}`);
    expect(new Set(keys).size).toBe(keys.length);
  });
});

function only(cap: Capture, scenario: string, timeouts = {}): FlowRecordJson[] {
  return expectFlowsDetailed(cap, timeouts).filter((e) => e.scenario === scenario).map((e) => e.record);
}

describe('expected flows: scenarios', () => {
  const cap = buildCapture(mixedScenarios(21));
  const frames = (name: string): number => cap.frames.filter((f) => f.meta.scenario === name).length;

  it('tcp-fin: one flow closed by FIN/FIN, the trailing ACK included', () => {
    const [r, ...rest] = only(cap, 'tcp-fin');
    expect(rest).toEqual([]);
    expect(r).toMatchObject({ srcAddr: '10.1.0.1', dstAddr: '10.1.0.2', dstPort: 80, proto: 6, ipVersion: 4, vlan: null, endReason: 'fin', tcpFlags: 0x1b, revTcpFlags: 0x1b });
    expect(r!.packets + r!.revPackets).toBe(frames('tcp-fin'));
  });

  it('tcp-rst: ends rst; the client is side B of the key but still the src', () => {
    const [r, ...rest] = only(cap, 'tcp-rst');
    expect(rest).toEqual([]);
    expect(r).toMatchObject({ srcAddr: '10.2.0.200', dstAddr: '10.2.0.2', endReason: 'rst' });
    expect(r!.revTcpFlags & 0x04).toBe(0x04);
    expect(r!.packets + r!.revPackets).toBe(frames('tcp-rst'));
  });

  it('tcp-port-reuse: a fresh SYN inside the linger starts a second flow on the same ports', () => {
    const rs = only(cap, 'tcp-port-reuse');
    expect(rs.map((r) => r.endReason)).toEqual(['fin', 'fin']);
    expect(rs[0]!.srcPort).toBe(rs[1]!.srcPort);
    expect(rs[0]!.communityId).toBe(rs[1]!.communityId);
  });

  it('dns: one flow per query', () => {
    const rs = only(cap, 'dns');
    expect(rs.length).toBe(40);
    expect(rs.every((r) => r.dstPort === 53 && r.packets === 1 && r.revPackets <= 1)).toBe(true);
  });

  it('icmp: echo is one two-way flow (8 -> 0); unreachable is one-way (3, code) from the host', () => {
    const [echo] = only(cap, 'icmp-echo');
    expect(echo).toMatchObject({ srcAddr: '10.6.0.2', srcPort: 8, dstPort: 0, proto: 1, packets: 4, revPackets: 4 });
    const unreach = only(cap, 'icmp-unreachable').filter((r) => r.proto === 1);
    expect(unreach).toHaveLength(1);
    expect(unreach[0]).toMatchObject({ srcAddr: '10.7.0.2', dstAddr: '10.7.0.1', srcPort: 3, dstPort: 3, packets: 2, revPackets: 0 });
    const [v6] = only(cap, 'icmpv6-echo');
    expect(v6).toMatchObject({ srcAddr: '2001:db8:a::1', srcPort: 128, dstPort: 129, proto: 58, ipVersion: 6 });
  });

  it('vlans: the same 5-tuple on two 802.1Q VLANs is two flows; QinQ reports the outer VID', () => {
    expect(only(cap, 'vlan-8021q').map((r) => r.vlan).sort()).toEqual([10, 20]);
    expect(only(cap, 'vlan-qinq').map((r) => r.vlan)).toEqual([100]);
  });

  it('fragments: every fragment joins its flow; an orphan later fragment is a flow with ports 0', () => {
    for (const name of ['fragments-ipv4', 'fragments-ipv6']) {
      const [r, ...rest] = only(cap, name);
      expect(rest).toEqual([]);
      expect(r!.packets + r!.revPackets).toBe(frames(name));
      expect(r!.dstPort).toBe(2049);
    }
    const [o] = only(cap, 'fragments-orphan');
    expect(o).toMatchObject({ srcPort: 0, dstPort: 0, proto: 17, packets: 2, revPackets: 0 });
  });

  it('idle-gap: split in two by the default idle timeout, one flow with a longer one', () => {
    expect(only(cap, 'idle-gap').map((r) => r.endReason)).toEqual(['idle', 'eof']);
    expect(only(cap, 'idle-gap', { idleSec: 30 }).map((r) => r.endReason)).toEqual(['eof']);
  });

  it('long-flow: exported in pieces (active) under a short active timeout', () => {
    expect(only(cap, 'long-flow').map((r) => r.endReason)).toEqual(['eof']);
    const pieces = only(cap, 'long-flow', { activeSec: 3 });
    expect(pieces.length).toBeGreaterThanOrEqual(3);
    expect(pieces.slice(0, -1).every((r) => r.endReason === 'active')).toBe(true);
    expect(sum(pieces, (r) => r.packets + r.revPackets)).toBe(frames('long-flow'));
  });

  it('end of input: quiet flows end idle, recent ones eof, closed ones fin/rst', () => {
    const all = expectFlowsDetailed(cap);
    expect(all.find((e) => e.scenario === 'dns')?.record.endReason).toBe('idle');
    expect(all.find((e) => e.scenario === 'sctp')?.record.endReason).toBe('idle');
    const short = buildCapture(SCENARIOS['udp-request-response']!());
    expect(expectFlows(short).map((r) => r.endReason)).toEqual(['eof']);
  });
});

describe('expected flows: link types and snaplen', () => {
  for (const [name, lt] of [['linktype-sll', LINKTYPE_LINUX_SLL], ['linktype-sll2', LINKTYPE_LINUX_SLL2], ['linktype-raw', LINKTYPE_RAW]] as const) {
    it(`${name} as a pcap of its own link type`, () => {
      const cap = buildCapture(SCENARIOS[name]!(), { linktype: lt });
      const file = encodePcap(cap.frames);
      expect(file.readUInt32LE(20)).toBe(lt);
      const recs = expectFlows(cap);
      expect(recs.length).toBe(name === 'linktype-raw' ? 3 : 2);
      expect(recs.every((r) => r.vlan === null)).toBe(true);
      // the same answer from the file's bytes alone
      expect(expectFlows(captureFromFile(file))).toEqual(recs);
    });
  }

  it('snaplen: bytes still count IP lengths; headers cut below the parser minimum drop the frame', () => {
    const full = expectFlows(buildCapture(snaplenScenario()));
    const cut96 = buildCapture(snaplenScenario(), { snaplen: 96 });
    expect(expectFlows(cut96)).toEqual(full);
    const file = encodePcap(cut96.frames, { snaplen: 96 });
    expect(expectFlows(captureFromFile(file))).toEqual(full);
    // 64 octets: IPv6 + TCP (14 + 40 + 20) no longer fits, IPv4 + TCP (54) does.
    const cut64 = expectFlows(buildCapture(snaplenScenario(), { snaplen: 64 }));
    expect(cut64).toEqual(full.filter((r) => r.ipVersion === 4));
  });

  it('precision: nanosecond captures print 9 digits', () => {
    const recs = expectFlows(buildMixedCapture(3, { precision: 'ns' }));
    expect(recs.every((r) => /\.\d{9}Z$/.test(r.start) && /\.\d{9}Z$/.test(r.end))).toBe(true);
  });
});
