// UDP request/response and DNS.
import { type PacketSpec } from '../packets.js';
import { Prng } from '../prng.js';
import { type Scenario, type ScenarioPacket } from '../scenario.js';
import { type CommonParams, ephemeralPort, type Base, packet } from './common.js';

export interface UdpParams extends CommonParams {
  client?: string;
  server?: string;
  clientPort?: number;
  serverPort?: number;
  /** Request/response pairs. Default 3. */
  exchanges?: number;
  /** Seconds between requests. Default 0.2. */
  interval?: number;
  /** Seconds from a request to its response. Default 0.004. */
  delay?: number;
  requestBytes?: number;
  responseBytes?: number;
}

export function udp(src: string, dst: string, sport: number, dport: number, payload: number | Uint8Array, id: number): PacketSpec {
  return { ip: { src, dst, id }, l4: { kind: 'udp', srcPort: sport, dstPort: dport, payload } };
}

/** Request/response pairs on one UDP flow. */
export function udpRequestResponseScenario(p: UdpParams = {}): Scenario {
  const rng = new Prng(p.seed ?? 1);
  const client = p.client ?? '10.4.0.1';
  const server = p.server ?? '10.4.0.2';
  const cport = p.clientPort ?? ephemeralPort(rng);
  const sport = p.serverPort ?? 5000;
  const base: Base = { vlans: p.vlans, linktype: p.linktype };
  const out: ScenarioPacket[] = [];
  const at = p.at ?? 0;
  for (let i = 0; i < (p.exchanges ?? 3); i++) {
    const t = at + i * (p.interval ?? 0.2);
    out.push(packet(t, udp(client, server, cport, sport, p.requestBytes ?? rng.int(20, 200), 100 + i), base));
    out.push(packet(t + (p.delay ?? 0.004), udp(server, client, sport, cport, p.responseBytes ?? rng.int(50, 1200), 200 + i), base));
  }
  return { name: p.name ?? 'udp-request-response', packets: out };
}

export interface DnsParams extends CommonParams {
  client?: string;
  resolver?: string;
  /** Queries, each from its own source port: one short flow each. Default 40. */
  queries?: number;
  /** Seconds between queries. Default 0.01. */
  interval?: number;
  /** Share of queries that get an answer. Default 0.9. */
  answerRate?: number;
}

function dnsName(name: string): number[] {
  const out: number[] = [];
  for (const label of name.split('.')) out.push(label.length, ...Array.from(label, (c) => c.charCodeAt(0)));
  out.push(0);
  return out;
}

/** A DNS query for an A record (RFC 1035 wire format). */
export function dnsQuery(id: number, name: string): Uint8Array {
  return Uint8Array.of(id >> 8, id & 0xff, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, ...dnsName(name), 0, 1, 0, 1);
}

/** The answer to dnsQuery(id, name): one A record (name compressed to the question). */
export function dnsAnswer(id: number, name: string, addr: readonly [number, number, number, number]): Uint8Array {
  return Uint8Array.of(
    id >> 8, id & 0xff, 0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0, ...dnsName(name), 0, 1, 0, 1,
    0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0x01, 0x2c, 0, 4, ...addr,
  );
}

/** Many short UDP flows to port 53: a query and (usually) its answer each, every query from its own port. */
export function dnsScenario(p: DnsParams = {}): Scenario {
  const rng = new Prng(p.seed ?? 1);
  const client = p.client ?? '10.5.0.1';
  const resolver = p.resolver ?? '10.5.0.53';
  const base: Base = { vlans: p.vlans, linktype: p.linktype };
  const used = new Set<number>();
  const out: ScenarioPacket[] = [];
  const at = p.at ?? 0;
  const words = ['api', 'cdn', 'mail', 'www', 'static', 'auth', 'img', 'metrics', 'login', 'assets'];
  for (let i = 0; i < (p.queries ?? 40); i++) {
    let port = ephemeralPort(rng);
    while (used.has(port)) port = ephemeralPort(rng);
    used.add(port);
    const t = at + i * (p.interval ?? 0.01);
    const id = rng.int(0, 0xffff);
    const name = `${rng.pick(words)}${rng.int(1, 999)}.${rng.pick(words)}.example.com`;
    out.push(packet(t, udp(client, resolver, port, 53, dnsQuery(id, name), rng.int(0, 0xffff)), base));
    if (rng.chance(p.answerRate ?? 0.9)) {
      const addr: [number, number, number, number] = [192, 0, 2, rng.int(1, 254)];
      out.push(packet(t + rng.int(1, 30) / 1000, udp(resolver, client, 53, port, dnsAnswer(id, name, addr), rng.int(0, 0xffff)), base));
    }
  }
  return { name: p.name ?? 'dns', packets: out };
}
