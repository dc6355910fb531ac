// ICMP and ICMPv6 echo, ICMP unreachable.
import { buildDatagram } from '../packets.js';
import { Prng } from '../prng.js';
import { type Scenario, type ScenarioPacket } from '../scenario.js';
import { type CommonParams, ephemeralPort, type Base, packet } from './common.js';
import { udp } from './udp.js';

export interface IcmpEchoParams extends CommonParams {
  /** The pinging host (IPv4 or IPv6: ICMPv6 then). */
  a?: string;
  b?: string;
  count?: number;
  /** Seconds between requests. Default 1. */
  interval?: number;
  /** Echo payload octets. Default 56. */
  size?: number;
  /** Requests without a reply (from the end). Default 0. */
  unanswered?: number;
}

/** Echo request/reply pairs: one flow (ports 8/0, or 128/129 for ICMPv6). */
export function icmpEchoScenario(p: IcmpEchoParams = {}): Scenario {
  const rng = new Prng(p.seed ?? 1);
  const a = p.a ?? '10.6.0.2';
  const b = p.b ?? '10.6.0.1';
  const v6 = a.includes(':');
  const [req, rep] = v6 ? [128, 129] : [8, 0];
  const base: Base = { vlans: p.vlans, linktype: p.linktype };
  const ident = rng.int(1, 0xffff);
  const count = p.count ?? 4;
  const out: ScenarioPacket[] = [];
  const at = p.at ?? 0;
  for (let i = 0; i < count; i++) {
    const t = at + i * (p.interval ?? 1);
    const rest = ((ident << 16) | (i + 1)) >>> 0;
    const size = p.size ?? 56;
    out.push(packet(t, { ip: { src: a, dst: b, id: i + 1 }, l4: { kind: 'icmp', type: req, code: 0, rest, payload: size } }, base));
    if (i < count - (p.unanswered ?? 0)) {
      out.push(packet(t + 0.0008, { ip: { src: b, dst: a, id: 1000 + i }, l4: { kind: 'icmp', type: rep, code: 0, rest, payload: size } }, base));
    }
  }
  return { name: p.name ?? (v6 ? 'icmpv6-echo' : 'icmp-echo'), packets: out };
}

/** ICMPv6 echo request/reply (ports 128/129). */
export function icmpv6EchoScenario(p: IcmpEchoParams = {}): Scenario {
  return icmpEchoScenario({ a: '2001:db8:a::1', b: '2001:db8:a::2', name: 'icmpv6-echo', ...p });
}

export interface IcmpUnreachableParams extends CommonParams {
  /** Sends the UDP probe. */
  client?: string;
  /** Answers with destination unreachable. */
  host?: string;
  /** Unreachable code. Default 3 (port unreachable). */
  code?: number;
  /** Probes, each answered. Default 2. */
  count?: number;
  /** Include the UDP probes (a separate one-way UDP flow). Default true. */
  probes?: boolean;
}

/**
 * UDP probes answered by ICMP destination unreachable (type 3): the ICMP flow
 * is one-way, ports = (3, code), src = the host that sent the ICMP message.
 */
export function icmpUnreachableScenario(p: IcmpUnreachableParams = {}): Scenario {
  const rng = new Prng(p.seed ?? 1);
  const client = p.client ?? '10.7.0.1';
  const host = p.host ?? '10.7.0.2';
  const code = p.code ?? 3;
  const base: Base = { vlans: p.vlans, linktype: p.linktype };
  const cport = ephemeralPort(rng);
  const out: ScenarioPacket[] = [];
  const at = p.at ?? 0;
  for (let i = 0; i < (p.count ?? 2); i++) {
    const t = at + i * 0.5;
    const probe = udp(client, host, cport, 33434 + i, 32, 500 + i);
    if (p.probes ?? true) out.push(packet(t, probe, base));
    const quoted = buildDatagram(probe).bytes.subarray(0, 28); // IP header + 8 octets, as RFC 792 asks
    out.push(packet(t + 0.0005, { ip: { src: host, dst: client, id: 900 + i }, l4: { kind: 'icmp', type: 3, code, rest: 0, payload: quoted } }, base));
  }
  return { name: p.name ?? 'icmp-unreachable', packets: out };
}
