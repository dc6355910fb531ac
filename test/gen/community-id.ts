// Community ID flow hash v1 (https://github.com/corelight/community-id-spec):
// sha1(seed16 . saddr . daddr . proto8 . pad8 [. sport16 . dport16]), base64,
// "1:" prefix. ICMP/ICMPv6 type/code map to port equivalents; types without a
// counterpart are one-way and keep their original orientation.
//
// The counterpart tables mirror icmp_ports() in native/src/parse/transport.cc
// entry for entry (community-id.test.ts parses that file and fails on drift),
// because the expected flow records must match what the engine computes.
// Both equal the spec's reference tables (pycommunityid icmp.py / icmp6.py,
// taken from Zeek); community-id.test.ts checks that too.
import { createHash } from 'node:crypto';

import { compareAddrBytes, parseIp } from './ip-addr.js';

export const PROTO_ICMP = 1;
export const PROTO_TCP = 6;
export const PROTO_UDP = 17;
export const PROTO_ICMPV6 = 58;
export const PROTO_SCTP = 132;

export const ICMP4_COUNTERPART: ReadonlyMap<number, number> = new Map([
  [8, 0], [0, 8], // echo
  [13, 14], [14, 13], // timestamp
  [15, 16], [16, 15], // information
  [10, 9], [9, 10], // router solicitation / advertisement
  [17, 18], [18, 17], // address mask
]);

export const ICMP6_COUNTERPART: ReadonlyMap<number, number> = new Map([
  [128, 129], [129, 128], // echo
  [133, 134], [134, 133], // router solicitation / advertisement
  [135, 136], [136, 135], // neighbor solicitation / advertisement
  [130, 131], [131, 130], // MLD query / report
  [144, 145], [145, 144], // home agent address discovery
  [139, 140], [140, 139], // node information query / response
]);


export interface PortEquivalents {
  srcPort: number;
  dstPort: number;
  oneWay: boolean;
}

/** Port equivalents of an ICMP (proto 1) or ICMPv6 (proto 58) message, from its sender's view. */
export function icmpPortEquivalents(proto: number, type: number, code: number): PortEquivalents {
  const map = proto === PROTO_ICMPV6 ? ICMP6_COUNTERPART : ICMP4_COUNTERPART;
  const counterpart = map.get(type);
  if (counterpart === undefined) return { srcPort: type, dstPort: code, oneWay: true };
  return { srcPort: type, dstPort: counterpart, oneWay: false };
}

export function hasPorts(proto: number): boolean {
  return proto === PROTO_TCP || proto === PROTO_UDP || proto === PROTO_SCTP || proto === PROTO_ICMP || proto === PROTO_ICMPV6;
}

export interface CommunityIdInput {
  src: string | Uint8Array;
  dst: string | Uint8Array;
  proto: number;
  /** For ICMP/ICMPv6: the type. */
  srcPort: number;
  /** For ICMP/ICMPv6: the code. */
  dstPort: number;
}

function addrBytes(a: string | Uint8Array): Uint8Array {
  return typeof a === 'string' ? parseIp(a) : a;
}

/**
 * Community ID of one packet (or of a flow given by its initiator's packet).
 * For ICMP/ICMPv6 pass type and code as srcPort/dstPort; set `portsAreEquivalents`
 * when they already are port equivalents (a flow record's srcPort/dstPort).
 */
export function communityId(input: CommunityIdInput, seed = 0, portsAreEquivalents = false): string {
  let saddr = addrBytes(input.src);
  let daddr = addrBytes(input.dst);
  let sport = input.srcPort;
  let dport = input.dstPort;
  let oneWay = false;
  const isIcmp = input.proto === PROTO_ICMP || input.proto === PROTO_ICMPV6;
  if (isIcmp) {
    const eq = icmpPortEquivalents(input.proto, input.srcPort, input.dstPort);
    oneWay = eq.oneWay;
    if (!portsAreEquivalents) {
      sport = eq.srcPort;
      dport = eq.dstPort;
    }
  }
  const cmp = compareAddrBytes(saddr, daddr);
  const ordered = oneWay || cmp < 0 || (cmp === 0 && sport < dport);
  if (!ordered) {
    [saddr, daddr] = [daddr, saddr];
    [sport, dport] = [dport, sport];
  }
  const withPorts = hasPorts(input.proto);
  const buf = new Uint8Array(2 + saddr.length * 2 + 2 + (withPorts ? 4 : 0));
  const view = new DataView(buf.buffer);
  view.setUint16(0, seed & 0xffff);
  buf.set(saddr, 2);
  buf.set(daddr, 2 + saddr.length);
  let at = 2 + saddr.length * 2;
  buf[at] = input.proto;
  buf[at + 1] = 0;
  at += 2;
  if (withPorts) {
    view.setUint16(at, sport);
    view.setUint16(at + 2, dport);
  }
  return `1:${createHash('sha1').update(buf).digest('base64')}`;
}
