// Other link types (SLL, SLL2, raw IP) and a short snaplen.
import { LINKTYPE_LINUX_SLL, LINKTYPE_LINUX_SLL2, LINKTYPE_RAW } from '../packets.js';
import { type Scenario } from '../scenario.js';
import { type CommonParams } from './common.js';
import { tcpFinScenario } from './tcp.js';
import { udpRequestResponseScenario } from './udp.js';

/** A short TCP session and a UDP exchange captured as Linux cooked (SLL, linktype 113). */
export function sllScenario(p: CommonParams = {}): Scenario {
  return linktypeScenario(LINKTYPE_LINUX_SLL, '10.19.0', p.name ?? 'linktype-sll', p);
}

/** The same on Linux cooked v2 (SLL2, linktype 276). */
export function sll2Scenario(p: CommonParams = {}): Scenario {
  return linktypeScenario(LINKTYPE_LINUX_SLL2, '10.20.0', p.name ?? 'linktype-sll2', p);
}

/** Raw IP (linktype 101): IPv4 TCP + UDP and an IPv6 UDP exchange (version from the first nibble). */
export function rawIpScenario(p: CommonParams = {}): Scenario {
  const s = linktypeScenario(LINKTYPE_RAW, '10.21.0', p.name ?? 'linktype-raw', p);
  const v6 = udpRequestResponseScenario({ client: '2001:db8:15::1', server: '2001:db8:15::2', serverPort: 53, exchanges: 1, at: (p.at ?? 0) + 0.3, seed: p.seed, linktype: LINKTYPE_RAW });
  return { name: s.name, packets: [...s.packets, ...v6.packets] };
}

function linktypeScenario(linktype: number, net: string, name: string, p: CommonParams): Scenario {
  const at = p.at ?? 0;
  const lt = p.linktype ?? linktype;
  const tcp = tcpFinScenario({ client: `${net}.1`, server: `${net}.2`, exchanges: 1, at, seed: p.seed, linktype: lt, vlans: p.vlans });
  const u = udpRequestResponseScenario({ client: `${net}.1`, server: `${net}.3`, exchanges: 2, at: at + 0.1, seed: p.seed, linktype: lt, vlans: p.vlans });
  return { name, packets: [...tcp.packets, ...u.packets] };
}

export interface SnaplenParams extends CommonParams {
  /** Full-size segments of the download. Default 12. */
  segments?: number;
  /** Also an IPv6 download. Default true. */
  ipv6?: boolean;
}

/**
 * Bulk TCP downloads with full-size segments, meant for a capture built with a
 * snaplen (e.g. 96): the records still count IP-layer bytes from the headers.
 * (A snaplen below the headers the parser needs makes those frames malformed;
 * expectFlows models that too.)
 */
export function snaplenScenario(p: SnaplenParams = {}): Scenario {
  const at = p.at ?? 0;
  const n = p.segments ?? 12;
  const v4 = tcpFinScenario({ client: '10.22.0.1', server: '10.22.0.2', exchanges: 1, responseBytes: n * 1448, requestBytes: 300, at, seed: p.seed, vlans: p.vlans, linktype: p.linktype });
  const packets = [...v4.packets];
  if (p.ipv6 ?? true) {
    packets.push(...tcpFinScenario({ client: '2001:db8:16::1', server: '2001:db8:16::2', exchanges: 1, responseBytes: n * 1448, requestBytes: 300, at: at + 0.05, seed: p.seed, vlans: p.vlans, linktype: p.linktype }).packets);
  }
  return { name: p.name ?? 'snaplen', packets };
}
