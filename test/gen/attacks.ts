// Attack traffic for the detector tests (test/engine/detectors*.test.ts): a
// SYN flood towards one host, a UDP volumetric flood, a vertical port scan,
// bulk talkers of known sizes, and normal background traffic (complete TCP
// sessions and DNS) that must raise nothing. Deterministic for a seed; times
// in seconds from the capture start, as every scenario.
import { TCP_ACK, TCP_RST, TCP_SYN } from './headers.js';
import { type PacketSpec } from './packets.js';
import { Prng } from './prng.js';
import { type Scenario, type ScenarioPacket } from './scenario.js';
import { ephemeralPort } from './scenarios/common.js';
import { TcpTalk } from './scenarios/tcp.js';

export interface AttackWindow {
  /** Seconds from the capture start. */
  from: number;
  to: number;
}

function tcpSpec(src: string, dst: string, sport: number, dport: number, flags: number, seq: number, ack: number): PacketSpec {
  return { ip: { src, dst }, l4: { kind: 'tcp', srcPort: sport, dstPort: dport, flags, seq, ack, payload: 0 } };
}

function udpSpec(src: string, dst: string, sport: number, dport: number, payload: number): PacketSpec {
  return { ip: { src, dst }, l4: { kind: 'udp', srcPort: sport, dstPort: dport, payload } };
}

function spoofed(rng: Prng, prefix: string): string {
  return `${prefix}.${rng.int(0, 255)}.${rng.int(1, 254)}`;
}

/** SYNs from random (spoofed) sources towards victim:port, none answered, `rate` per second. */
export function synFloodScenario(p: { victim: string; port?: number; rate: number; seed?: number } & AttackWindow): Scenario {
  const rng = new Prng(p.seed ?? 11);
  const packets: ScenarioPacket[] = [];
  for (let t = p.from; t < p.to; t += 1 / p.rate) {
    packets.push({ t, spec: tcpSpec(spoofed(rng, '172.16'), p.victim, rng.int(1024, 65535), p.port ?? 80, TCP_SYN, rng.u32(), 0) });
  }
  return { name: 'syn-flood', packets };
}

/** UDP datagrams of `size` payload octets from random sources towards victim, `rate` per second. */
export function udpFloodScenario(p: { victim: string; rate: number; size?: number; seed?: number } & AttackWindow): Scenario {
  const rng = new Prng(p.seed ?? 12);
  const packets: ScenarioPacket[] = [];
  for (let t = p.from; t < p.to; t += 1 / p.rate) {
    packets.push({ t, spec: udpSpec(spoofed(rng, '192.168'), p.victim, rng.int(1024, 65535), 9999, p.size ?? 64) });
  }
  return { name: 'udp-flood', packets };
}

/** One scanner SYNs ports 1..ports of one target, `rate` ports per second; closed ports answer RST. */
export function portScanScenario(p: { scanner: string; target: string; ports: number; rate: number; from: number; seed?: number }): Scenario {
  const rng = new Prng(p.seed ?? 13);
  const sport = ephemeralPort(rng);
  const packets: ScenarioPacket[] = [];
  for (let port = 1; port <= p.ports; port++) {
    const t = p.from + (port - 1) / p.rate;
    const seq = rng.u32();
    packets.push({ t, spec: tcpSpec(p.scanner, p.target, sport, port, TCP_SYN, seq, 0) });
    packets.push({ t: t + 0.0005, spec: tcpSpec(p.target, p.scanner, port, sport, TCP_RST | TCP_ACK, 0, (seq + 1) >>> 0) });
  }
  return { name: 'port-scan', packets };
}

/** Senders each streaming UDP to one receiver: `bytesPerSecond` payload octets in 1000-octet datagrams. */
export function bulkTalkersScenario(p: { talkers: ReadonlyArray<{ src: string; dst: string; bytesPerSecond: number }> } & AttackWindow): Scenario {
  const packets: ScenarioPacket[] = [];
  p.talkers.forEach((k, i) => {
    const perSecond = Math.max(1, Math.round(k.bytesPerSecond / 1000));
    for (let t = p.from + i * 1e-4; t < p.to; t += 1 / perSecond) {
      packets.push({ t, spec: udpSpec(k.src, k.dst, 5000 + i, 6000 + i, 1000) });
    }
  });
  return { name: 'bulk-talkers', packets };
}

/**
 * Normal traffic: `rate` complete TCP sessions per second (handshake, a request
 * and a response, FIN teardown) from 40 clients to 4 web servers, and a DNS query
 * and answer with each.
 */
export function backgroundScenario(p: { rate: number; seed?: number } & AttackWindow): Scenario {
  const rng = new Prng(p.seed ?? 14);
  const packets: ScenarioPacket[] = [];
  for (let t = p.from; t < p.to; t += 1 / p.rate) {
    const client = `10.1.0.${rng.int(1, 40)}`;
    const server = `10.2.0.${rng.int(1, 4)}`;
    const talk = new TcpTalk({ client, server, clientPort: ephemeralPort(rng), serverPort: 443 }, {}, rng);
    let at = talk.handshake(t, 0.004);
    at = talk.exchange(at + 0.001, 0.004, rng.int(100, 400), rng.int(500, 4000), 1448);
    talk.closeFin(at + 0.001, 0.004, true, true);
    packets.push(...talk.packets);
    const dnsPort = ephemeralPort(rng);
    packets.push({ t: t + 0.0005, spec: udpSpec(client, '10.2.0.53', dnsPort, 53, 40) });
    packets.push({ t: t + 0.0015, spec: udpSpec('10.2.0.53', client, 53, dnsPort, 120) });
  }
  return { name: 'background', packets };
}

