import { describe, expect, it } from 'vitest';

import { communityId } from './community-id.js';
import { diffRecords, expectFlows, recordKey, type FlowRecordJson } from './flow-model.js';
import { TCP_ACK, TCP_FIN, TCP_PSH, TCP_RST, TCP_SYN } from './headers.js';
import { type PacketSpec } from './packets.js';
import { buildCapture, type Scenario, type ScenarioPacket } from './scenario.js';

// Hand-built flows with literal expected records: each rule of the engine's
// flow semantics in isolation. No TCP options, so IP length = 40 + payload.
const C = '10.0.0.2'; // the client sorts after the server: it is side B of the key
const S = '10.0.0.1';

function tcp(t: number, fromClient: boolean, flags: number, payload = 0, sport = 40000, dport = 80): ScenarioPacket {
  const spec: PacketSpec = {
    ip: { src: fromClient ? C : S, dst: fromClient ? S : C },
    l4: { kind: 'tcp', srcPort: fromClient ? sport : dport, dstPort: fromClient ? dport : sport, flags, seq: 1, ack: 1, payload },
  };
  return { t, spec };
}

function udp(t: number, fromClient: boolean, payload: number, fragment?: ScenarioPacket['fragment']): ScenarioPacket {
  const spec: PacketSpec = {
    ip: { src: fromClient ? C : S, dst: fromClient ? S : C },
    l4: { kind: 'udp', srcPort: fromClient ? 5353 : 53, dstPort: fromClient ? 53 : 5353, payload },
  };
  return fragment ? { t, spec, fragment } : { t, spec };
}

function run(packets: ScenarioPacket[], timeouts = {}): FlowRecordJson[] {
  const sc: Scenario = { name: 'unit', packets };
  return expectFlows(buildCapture(sc), timeouts);
}

function rec(r: Partial<FlowRecordJson> & Pick<FlowRecordJson, 'srcAddr' | 'dstAddr' | 'srcPort' | 'dstPort' | 'proto'>): FlowRecordJson {
  const base: FlowRecordJson = {
    srcAddr: r.srcAddr, dstAddr: r.dstAddr, srcPort: r.srcPort, dstPort: r.dstPort, proto: r.proto, ipVersion: 4, vlan: null,
    packets: 0, bytes: 0, revPackets: 0, revBytes: 0, tcpFlags: 0, revTcpFlags: 0, start: '', end: '', endReason: 'eof',
    communityId: communityId({ src: r.srcAddr, dst: r.dstAddr, proto: r.proto, srcPort: r.srcPort, dstPort: r.dstPort }, 0, true),
  };
  return { ...base, ...r };
}

const at = (s: string): string => `2023-11-14T22:13:${s}Z`;

describe('flow model (engine semantics)', () => {
  it('FIN both ways closes; a trailing ACK inside the linger joins; a packet after the linger starts a new flow', () => {
    const got = run([
      tcp(0, true, TCP_SYN),
      tcp(0.001, false, TCP_SYN | TCP_ACK),
      tcp(0.002, true, TCP_ACK),
      tcp(1, true, TCP_FIN | TCP_ACK),
      tcp(1.001, false, TCP_FIN | TCP_ACK),
      tcp(1.002, true, TCP_ACK),
      tcp(3.5, true, TCP_PSH | TCP_ACK, 10), // 2.499 s after the close: past the 2 s linger
    ]);
    expect(got).toEqual([
      rec({ srcAddr: C, dstAddr: S, srcPort: 40000, dstPort: 80, proto: 6, packets: 4, bytes: 160, revPackets: 2, revBytes: 80, tcpFlags: 0x13, revTcpFlags: 0x13, start: at('20.000000'), end: at('21.002000'), endReason: 'fin' }),
      rec({ srcAddr: C, dstAddr: S, srcPort: 40000, dstPort: 80, proto: 6, packets: 1, bytes: 50, tcpFlags: 0x18, start: at('23.500000'), end: at('23.500000'), endReason: 'eof' }),
    ]);
  });

  it('a fresh SYN inside the linger starts a new flow; a SYN-ACK there joins the closed one', () => {
    const got = run([
      tcp(0, true, TCP_SYN),
      tcp(0.1, true, TCP_RST),
      tcp(0.2, false, TCP_SYN | TCP_ACK), // not fresh: joins the RST-closed flow
      tcp(0.3, true, TCP_SYN), // fresh: new flow
    ]);
    expect(got.map((r) => [r.start, r.endReason, r.packets, r.revPackets])).toEqual([
      [at('20.000000'), 'rst', 2, 1],
      [at('20.300000'), 'eof', 1, 0],
    ]);
  });

  it('an RST as the first packet closes the flow at once', () => {
    const got = run([tcp(0, false, TCP_RST | TCP_ACK), tcp(1, true, TCP_ACK), tcp(5, true, TCP_ACK)]);
    expect(got.map((r) => [r.srcAddr, r.endReason, r.packets, r.revPackets])).toEqual([
      [S, 'rst', 1, 1],
      [C, 'eof', 1, 0],
    ]);
  });

  it('idle: a gap longer than the idle timeout splits; at the end a quiet flow is idle, else eof', () => {
    const pk = [udp(0, true, 10), udp(0.5, false, 20), udp(16, true, 10), udp(40, false, 30), udp(41, false, 30)];
    expect(run(pk).map((r) => [r.srcPort, r.endReason, r.packets, r.revPackets])).toEqual([
      [5353, 'idle', 1, 1],
      [5353, 'idle', 1, 0], // last seen at 16, input ends at 41 (> 15 s later)
      [53, 'eof', 2, 0], // starts with the server's packet: the server is the src
    ]);
    expect(run(pk, { idleSec: 30 }).map((r) => r.endReason)).toEqual(['eof']);
  });

  it('active: the packet past the active timeout exports the flow, which goes on with fresh counters and the same src', () => {
    const pk = [udp(0, true, 10), udp(1, true, 10), udp(2, false, 10), udp(2.5, true, 10), udp(3, false, 10)];
    expect(run(pk, { activeSec: 1.5 }).map((r) => [r.srcPort, r.start, r.endReason, r.packets, r.revPackets])).toEqual([
      [5353, at('20.000000'), 'active', 2, 0],
      [5353, at('22.000000'), 'eof', 1, 2], // cut by the server's packet, still the client's flow
    ]);
  });

  it('active: FINs seen before the cut count towards the close after it', () => {
    const pk = [tcp(0, true, TCP_SYN), tcp(1, true, TCP_FIN | TCP_ACK), tcp(2, false, TCP_ACK), tcp(2.5, false, TCP_FIN | TCP_ACK), tcp(2.6, true, TCP_ACK)];
    expect(run(pk, { activeSec: 1.5 }).map((r) => [r.srcAddr, r.endReason, r.packets, r.revPackets, r.tcpFlags, r.revTcpFlags])).toEqual([
      [C, 'active', 2, 0, TCP_SYN | TCP_FIN | TCP_ACK, 0],
      [C, 'fin', 1, 2, TCP_ACK, TCP_FIN | TCP_ACK],
    ]);
  });

  it('fragments: later fragments take the first fragment\'s ports within 30 s, else ports 0', () => {
    const frag = { size: 1480, id: 77 };
    const got = run([udp(0, true, 3000, frag), udp(40, true, 3000, { ...frag, emit: [1, 2] })]);
    expect(got.map((r) => [r.srcPort, r.dstPort, r.packets, r.bytes])).toEqual([
      [5353, 53, 3, 1500 + 1500 + 68], // 3008 transport octets in pieces of 1480, 1480, 48
      [0, 0, 2, 1500 + 68],
    ]);
  });

  it('diffRecords pairs records by key and names differing fields', () => {
    const a = run([udp(0, true, 10), udp(0.5, false, 20)]);
    expect(diffRecords([...a].reverse(), a)).toEqual([]);
    const b = a.map((r) => ({ ...r, packets: r.packets + 1 }));
    expect(diffRecords(b, a)).toEqual([`${recordKey(a[0]!)}: packets 2 != expected 1`]);
    expect(diffRecords([], a)[0]).toMatch(/^missing: /);
    expect(diffRecords(a, [])[0]).toMatch(/^unexpected: /);
  });
});
