// IPv4 and IPv6 fragments, and an orphan fragment.
import { Prng } from '../prng.js';
import { type FragmentPlan, type Scenario, type ScenarioPacket } from '../scenario.js';
import { type CommonParams, ephemeralPort, type Base, packet } from './common.js';
import { udp } from './udp.js';

export interface FragmentParams extends CommonParams {
  client?: string;
  server?: string;
  clientPort?: number;
  serverPort?: number;
  /** UDP payload octets of each fragmented request. Default 4000. */
  datagramBytes?: number;
  /** Transport octets per fragment (multiple of 8). Default 1480 (IPv4) / 1448 (IPv6). */
  fragmentSize?: number;
  /** Fragmented requests, each answered by a small unfragmented response. Default 2. */
  datagrams?: number;
}

function fragmentedUdp(p: FragmentParams, v6: boolean): Scenario {
  const rng = new Prng(p.seed ?? 1);
  const client = p.client ?? (v6 ? '2001:db8:f::1' : '10.14.0.1');
  const server = p.server ?? (v6 ? '2001:db8:f::2' : '10.14.0.2');
  const cport = p.clientPort ?? ephemeralPort(rng);
  const sport = p.serverPort ?? 2049;
  const base: Base = { vlans: p.vlans, linktype: p.linktype };
  const out: ScenarioPacket[] = [];
  const at = p.at ?? 0;
  for (let i = 0; i < (p.datagrams ?? 2); i++) {
    const t = at + i * 0.1;
    const id = v6 ? rng.u32() : rng.int(1, 0xffff);
    const fragment: FragmentPlan = { size: p.fragmentSize ?? (v6 ? 1448 : 1480), id };
    out.push(packet(t, udp(client, server, cport, sport, p.datagramBytes ?? 4000, id), base, fragment));
    out.push(packet(t + 0.01, udp(server, client, sport, cport, 120, rng.int(0, 0xffff)), base));
  }
  return { name: p.name ?? (v6 ? 'fragments-ipv6' : 'fragments-ipv4'), packets: out };
}

/** Fragmented IPv4 UDP requests (all fragments, first included): every fragment joins the flow. */
export function fragmentedUdpV4Scenario(p: FragmentParams = {}): Scenario {
  return fragmentedUdp(p, false);
}

/** Fragmented IPv6 UDP requests (fragment header): every fragment joins the flow. */
export function fragmentedUdpV6Scenario(p: FragmentParams = {}): Scenario {
  return fragmentedUdp(p, true);
}

/**
 * Later fragments of an IPv4 UDP datagram whose first fragment is not in the
 * capture: a flow of its own with ports 0/0.
 */
export function orphanFragmentScenario(p: FragmentParams = {}): Scenario {
  const rng = new Prng(p.seed ?? 1);
  const client = p.client ?? '10.16.0.1';
  const server = p.server ?? '10.16.0.2';
  const base: Base = { vlans: p.vlans, linktype: p.linktype };
  const id = rng.int(1, 0xffff);
  const spec = udp(client, server, p.clientPort ?? ephemeralPort(rng), p.serverPort ?? 2049, p.datagramBytes ?? 4000, id);
  const fragment: FragmentPlan = { size: p.fragmentSize ?? 1480, id, emit: [1, 2] };
  return { name: p.name ?? 'fragments-orphan', packets: [packet(p.at ?? 0, spec, base, fragment)] };
}
