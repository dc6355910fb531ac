// The two batch encodings carry the same records, and the JSON Schema file
// and the zod schema describe the same contract.
import { readFileSync } from 'node:fs';
import path from 'node:path';

import { describe, expect, it } from 'vitest';

import { packageRoot } from '../../agent/engine/binding.js';
import { FlowRecordSchema, type FlowRecord } from '../../agent/engine/flow-record.js';
import { formatIpv6 } from '../../agent/engine/ip-format.js';
import { END_REASONS, PackedRecords } from '../../agent/engine/packed-record.js';
import { runEngine } from '../support/engine-run.js';

const root = packageRoot();
const corpus = path.resolve(root, '..', 'shared', 'pcaps', 'tcpdump-tests');

function fromPacked(batches: Buffer[]): Array<Omit<FlowRecord, 'communityId' | 'start' | 'end'>> {
  const out = [];
  for (const b of batches) {
    const p = new PackedRecords(b);
    for (let i = 0; i < p.count; i++) {
      const r = p.at(i);
      out.push({
        srcAddr: r.srcAddr, dstAddr: r.dstAddr, srcPort: r.srcPort, dstPort: r.dstPort, proto: r.proto,
        ipVersion: r.ipVersion as 4 | 6, vlan: r.vlan, packets: Number(r.packets), bytes: Number(r.bytes),
        revPackets: Number(r.revPackets), revBytes: Number(r.revBytes), tcpFlags: r.tcpFlags, revTcpFlags: r.revTcpFlags,
        endReason: r.endReason,
        ...optional('tcpHandshakeServerUs', r.tcpHandshakeServerUs),
        ...optional('tcpHandshakeClientUs', r.tcpHandshakeClientUs),
        ...optional('tcpRttMinUs', r.tcpRttMinUs),
        ...optional('tcpRttSmoothedUs', r.tcpRttSmoothedUs),
        ...optional('tcpRetransmits', r.tcpRetransmits),
        ...optional('revTcpRetransmits', r.revTcpRetransmits),
      });
    }
  }
  return out;
}

const optional = <K extends string>(k: K, v: number | undefined) => (v === undefined ? {} : ({ [k]: v } as Record<K, number>));

const key = (r: object) => JSON.stringify(r);

describe('record encodings', () => {
  // IPv4 and IPv6 (with and without zero runs), ICMP and ICMPv6; VLANs are in the generated-capture tests.
  const files = ['dns_tcp.pcap', 'ipv6-routing-header.pcap', 'icmpv6.pcap', 'ikev2pI2.pcap'];

  it.each(files)('packed and JSON lines agree on %s', async (f) => {
    const file = path.join(corpus, f);
    const json = await runEngine(file, { workers: 2 }, 'jsonl');
    const packed = await runEngine(file, { workers: 2 }, 'packed');
    const a = json.records.map(({ communityId: _c, start: _s, end: _e, ...rest }) => key(rest)).sort();
    const b = fromPacked(packed.packed).map(key).sort();
    expect(a.length).toBeGreaterThan(0);
    expect(b).toEqual(a);
  });

  it('formats IPv6 as inet_ntop does (RFC 5952)', () => {
    const v6 = (hex: string) => Uint8Array.from(Buffer.from(hex, 'hex'));
    expect(formatIpv6(v6('20010db8000000000000000000000001'))).toBe('2001:db8::1');
    expect(formatIpv6(v6('00000000000000000000000000000000'))).toBe('::');
    expect(formatIpv6(v6('00000000000000000000000000000001'))).toBe('::1');
    expect(formatIpv6(v6('20010db8000100000001000000000001'))).toBe('2001:db8:1:0:1::1');
    expect(formatIpv6(v6('20010db8000000010000000000000001'))).toBe('2001:db8:0:1::1');
    expect(formatIpv6(v6('00000000000000000000ffffc0000201'))).toBe('::ffff:192.0.2.1');
    expect(formatIpv6(v6('fe800000000000000000000000000000'))).toBe('fe80::');
  });

  it('the JSON Schema file and the zod schema name the same fields and end reasons', () => {
    const schema = JSON.parse(readFileSync(path.join(root, 'agent', 'schemas', 'flow-record.v2.json'), 'utf8')) as {
      required: string[];
      properties: Record<string, { enum?: unknown[] }>;
      additionalProperties: boolean;
    };
    // the engine's record is flow-record.v2 without the agent's identities (src, dst)
    const shape = FlowRecordSchema.shape as Record<string, { safeParse(v: unknown): { success: boolean } }>;
    const zodFields = Object.keys(shape).sort();
    const required = zodFields.filter((k) => !shape[k]!.safeParse(undefined).success);
    expect([...schema.required].sort()).toEqual(required);
    expect(Object.keys(schema.properties).filter((k) => k !== 'src' && k !== 'dst').sort()).toEqual(zodFields);
    expect(schema.additionalProperties).toBe(false);
    expect(schema.properties['endReason']?.enum).toEqual([...END_REASONS]);
  });
});
