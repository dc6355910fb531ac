// TCP latency with a known answer (flow-record.v2 tcpHandshake*, tcpRtt*,
// tcpRetransmits): segments with explicit sequence numbers at whole
// microseconds, and the exact values the engine must report for each flow.
import { TCP_ACK, TCP_FIN, TCP_PSH, TCP_SYN } from '../headers.js';
import { type Scenario, type ScenarioPacket } from '../scenario.js';
import { type CommonParams, packet } from './common.js';

/** The TCP fields of one expected record; a field left out must be absent. */
export interface ExpectedTcpLatency {
  srcAddr: string;
  proto: number;
  tcpHandshakeServerUs?: number;
  tcpHandshakeClientUs?: number;
  tcpRttMinUs?: number;
  tcpRttSmoothedUs?: number;
  tcpRetransmits?: number;
  revTcpRetransmits?: number;
}

export interface TcpLatencyScenario extends Scenario {
  expected: ExpectedTcpLatency[];
}

/** RFC 6298 SRTT (alpha 1/8, seeded by the first sample) in the engine's fixed point (8 x SRTT), µs. */
export function smoothedRtt(samplesUs: readonly number[]): number {
  let srtt8 = 0;
  samplesUs.forEach((r, i) => {
    srtt8 = i === 0 ? r * 8 : srtt8 - Math.floor(srtt8 / 8) + r;
  });
  return Math.floor(srtt8 / 8);
}

const US = 1e-6;

/**
 * Three flows:
 *  - 10.9.0.1 -> 10.9.0.2:443: a SYN retransmitted after 1 s, SYN/ACK 4000 µs
 *    after the last SYN, the ACK 1500 µs later; data/ACK pairs 6200 µs and
 *    2800 µs; a data segment retransmitted before its ACK (Karn: no sample);
 *    a duplicate pure ACK and a keep-alive (not retransmits); FIN/FIN.
 *  - 10.9.0.3 -> 10.9.0.4:9000: one direction only (SYN and data, no answer).
 *  - 10.9.0.5:5353 <-> 10.9.0.6:53 UDP: no TCP fields.
 */
export function tcpLatencyScenario(p: CommonParams = {}): TcpLatencyScenario {
  const at = p.at ?? 0;
  const base = { vlans: p.vlans, linktype: p.linktype };
  const packets: ScenarioPacket[] = [];
  const tcp = (tUs: number, src: string, dst: string, sport: number, dport: number, flags: number, seq: number, ack: number, payload = 0) =>
    packets.push(packet(at + tUs * US, { ip: { src, dst }, l4: { kind: 'tcp', srcPort: sport, dstPort: dport, flags, seq: seq >>> 0, ack: ack >>> 0, payload } }, base));
  const c = (tUs: number, flags: number, seq: number, ack: number, payload = 0) => tcp(tUs, '10.9.0.1', '10.9.0.2', 41000, 443, flags, seq, ack, payload);
  const s = (tUs: number, flags: number, seq: number, ack: number, payload = 0) => tcp(tUs, '10.9.0.2', '10.9.0.1', 443, 41000, flags, seq, ack, payload);

  const ci = 0xfffffff0; // the client's ISN: its sequence numbers wrap past 2^32
  const si = 7_000_000;
  c(0, TCP_SYN, ci, 0);
  c(1_000_000, TCP_SYN, ci, 0); // retransmitted SYN
  s(1_004_000, TCP_SYN | TCP_ACK, si, ci + 1); // server side 4000
  c(1_005_500, TCP_ACK, ci + 1, si + 1); // client side 1500: sample 5500
  c(1_010_000, TCP_ACK | TCP_PSH, ci + 1, si + 1, 300); // timed
  s(1_016_200, TCP_ACK, si + 1, ci + 301); // sample 6200
  s(1_020_000, TCP_ACK | TCP_PSH, si + 1, ci + 301, 1000); // timed
  c(1_022_800, TCP_ACK, ci + 301, si + 1001); // sample 2800
  c(1_023_000, TCP_ACK, ci + 301, si + 1001); // duplicate ACK: not a retransmit
  c(1_030_000, TCP_ACK | TCP_PSH, ci + 301, si + 1001, 100); // timed ...
  c(1_230_000, TCP_ACK | TCP_PSH, ci + 301, si + 1001, 100); // ... retransmitted: Karn
  s(1_231_200, TCP_ACK, si + 1001, ci + 401); // no sample
  c(2_000_000, TCP_ACK, ci + 400, si + 1001, 1); // keep-alive: the byte below snd_nxt
  s(2_000_300, TCP_ACK, si + 1001, ci + 401); // its ACK: no sample
  c(2_100_000, TCP_FIN | TCP_ACK, ci + 401, si + 1001);
  s(2_100_900, TCP_FIN | TCP_ACK, si + 1001, ci + 402);
  c(2_101_800, TCP_ACK, ci + 402, si + 1002);

  const o = (tUs: number, flags: number, seq: number, payload = 0) => tcp(tUs, '10.9.0.3', '10.9.0.4', 41001, 9000, flags, seq, flags & TCP_ACK ? 1 : 0, payload);
  o(10, TCP_SYN, 100);
  o(2_000, TCP_ACK | TCP_PSH, 101, 500);
  o(3_000, TCP_ACK | TCP_PSH, 601, 500);
  o(4_000, TCP_ACK | TCP_PSH, 1101, 500);

  const u = (tUs: number, src: string, dst: string, sport: number, dport: number, payload: number) =>
    packets.push(packet(at + tUs * US, { ip: { src, dst }, l4: { kind: 'udp', srcPort: sport, dstPort: dport, payload } }, base));
  u(20, '10.9.0.5', '10.9.0.6', 5353, 53, 40);
  u(700, '10.9.0.6', '10.9.0.5', 53, 5353, 120);

  return {
    name: p.name ?? 'tcp-latency',
    packets,
    expected: [
      {
        srcAddr: '10.9.0.1', proto: 6, tcpHandshakeServerUs: 4000, tcpHandshakeClientUs: 1500,
        tcpRttMinUs: 2800, tcpRttSmoothedUs: smoothedRtt([5500, 6200, 2800]), tcpRetransmits: 2, revTcpRetransmits: 0,
      },
      { srcAddr: '10.9.0.3', proto: 6, tcpRetransmits: 0, revTcpRetransmits: 0 },
      { srcAddr: '10.9.0.5', proto: 17 },
    ],
  };
}
