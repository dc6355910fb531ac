// Packet builders: a PacketSpec (addresses, VLANs, transport fields) becomes an
// IP datagram (or its fragments) and then a link-layer frame for a linktype.
import {
  encodeDestOptions, encodeHopByHop, encodeIcmp, encodeIpv4Header, encodeIpv6Fragment, encodeIpv6Header,
  encodeSctp, encodeTcp, encodeUdp, IPPROTO_DSTOPTS, IPPROTO_FRAGMENT, IPPROTO_HOPOPTS,
} from './headers.js';
import { parseIp } from './ip-addr.js';

export const LINKTYPE_ETHERNET = 1;
export const LINKTYPE_RAW = 101;
export const LINKTYPE_LINUX_SLL = 113;
export const LINKTYPE_LINUX_SLL2 = 276;

export type Payload = number | Uint8Array;

export type L4Spec =
  | { kind: 'tcp'; srcPort: number; dstPort: number; flags: number; seq: number; ack: number; window?: number; options?: Uint8Array; payload: Payload }
  | { kind: 'udp'; srcPort: number; dstPort: number; payload: Payload }
  /** ICMP over IPv4, ICMPv6 over IPv6; `rest` is the 4 octets after the checksum (id/seq, unused, MTU). */
  | { kind: 'icmp'; type: number; code: number; rest?: number; payload: Payload }
  | { kind: 'sctp'; srcPort: number; dstPort: number; verificationTag: number; chunks: Uint8Array };

export interface IpSpec {
  src: string;
  dst: string;
  ttl?: number;
  id?: number;
  tos?: number;
  dontFragment?: boolean;
  /** IPv4 only: options, a multiple of 4 octets. */
  options?: Uint8Array;
  /** IPv6 only: extension headers before the transport header, in this order. */
  extHeaders?: ReadonlyArray<'hbh' | 'dstopts'>;
  flowLabel?: number;
}

export interface VlanTag {
  vid: number;
  /** 0x8100 (802.1Q, default) or 0x88a8 (802.1ad S-tag). */
  tpid?: number;
  pcp?: number;
}

export interface PacketSpec {
  ip: IpSpec;
  l4: L4Spec;
  /** Outermost first. */
  vlans?: readonly VlanTag[];
  srcMac?: Uint8Array;
  dstMac?: Uint8Array;
}

export interface Datagram {
  bytes: Uint8Array;
  version: 4 | 6;
  /** IP protocol / final next header of the transport. */
  proto: number;
  /** Offset of the transport header inside `bytes`; -1 for a non-first fragment. */
  l4Offset: number;
  /** Octets of transport header a parser needs (TCP data offset, 8 UDP/ICMP, 12 SCTP). */
  l4HeaderLength: number;
}

export function isV6(spec: PacketSpec): boolean {
  return spec.ip.src.includes(':');
}

export function fillPayload(p: Payload, salt = 0): Uint8Array {
  if (typeof p !== 'number') return p;
  const b = new Uint8Array(p);
  for (let i = 0; i < p; i++) b[i] = (0x41 + ((i + salt) % 26)) & 0xff;
  return b;
}

export function protoNumber(l4: L4Spec, v6: boolean): number {
  switch (l4.kind) {
    case 'tcp': return 6;
    case 'udp': return 17;
    case 'icmp': return v6 ? 58 : 1;
    case 'sctp': return 132;
  }
}

/** The transport segment (header + payload, checksummed) and how much of it is header. */
export function buildTransport(spec: PacketSpec): { bytes: Uint8Array; headerLength: number } {
  const src = parseIp(spec.ip.src);
  const dst = parseIp(spec.ip.dst);
  const l4 = spec.l4;
  switch (l4.kind) {
    case 'tcp': {
      const options = l4.options ?? new Uint8Array(0);
      const t = { srcPort: l4.srcPort, dstPort: l4.dstPort, seq: l4.seq, ack: l4.ack, flags: l4.flags, window: l4.window ?? 64240, options };
      return { bytes: encodeTcp(t, fillPayload(l4.payload, l4.seq), src, dst), headerLength: 20 + options.length };
    }
    case 'udp':
      return { bytes: encodeUdp(l4.srcPort, l4.dstPort, fillPayload(l4.payload), src, dst), headerLength: 8 };
    case 'icmp': {
      const v6 = src.length === 16 ? { src, dst } : undefined;
      return { bytes: encodeIcmp(l4.type, l4.code, l4.rest ?? 0, fillPayload(l4.payload), v6), headerLength: 8 };
    }
    case 'sctp':
      return { bytes: encodeSctp(l4.srcPort, l4.dstPort, l4.verificationTag, l4.chunks), headerLength: 12 };
  }
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function ipv4Header(spec: PacketSpec, proto: number, payloadLength: number, frag?: { offset8: number; more: boolean }): Uint8Array {
  return encodeIpv4Header(
    {
      src: parseIp(spec.ip.src), dst: parseIp(spec.ip.dst), proto, ttl: spec.ip.ttl ?? 64, id: spec.ip.id ?? 0,
      tos: spec.ip.tos ?? 0, dontFragment: frag ? false : (spec.ip.dontFragment ?? false),
      moreFragments: frag?.more ?? false, fragmentOffset: frag?.offset8 ?? 0, options: spec.ip.options ?? new Uint8Array(0),
    },
    payloadLength,
  );
}

function ipv6Chain(spec: PacketSpec, proto: number): Uint8Array[] {
  const ext = spec.ip.extHeaders ?? [];
  const out: Uint8Array[] = [];
  ext.forEach((kind, i) => {
    const next = ext[i + 1];
    const nh = next === undefined ? proto : next === 'hbh' ? IPPROTO_HOPOPTS : IPPROTO_DSTOPTS;
    out.push(kind === 'hbh' ? encodeHopByHop(nh) : encodeDestOptions(nh));
  });
  return out;
}

function ipv6Base(spec: PacketSpec, nextHeader: number, payloadLength: number): Uint8Array {
  return encodeIpv6Header(
    { src: parseIp(spec.ip.src), dst: parseIp(spec.ip.dst), nextHeader, hopLimit: spec.ip.ttl ?? 64, trafficClass: spec.ip.tos ?? 0, flowLabel: spec.ip.flowLabel ?? 0 },
    payloadLength,
  );
}

function firstNextHeader(spec: PacketSpec, proto: number): number {
  const first = spec.ip.extHeaders?.[0];
  if (first === undefined) return proto;
  return first === 'hbh' ? IPPROTO_HOPOPTS : IPPROTO_DSTOPTS;
}

export function buildDatagram(spec: PacketSpec): Datagram {
  const v6 = isV6(spec);
  const proto = protoNumber(spec.l4, v6);
  const l4 = buildTransport(spec);
  if (!v6) {
    const hdr = ipv4Header(spec, proto, l4.bytes.length);
    return { bytes: concat([hdr, l4.bytes]), version: 4, proto, l4Offset: hdr.length, l4HeaderLength: l4.headerLength };
  }
  const ext = ipv6Chain(spec, proto);
  const extLen = ext.reduce((n, e) => n + e.length, 0);
  const base = ipv6Base(spec, firstNextHeader(spec, proto), extLen + l4.bytes.length);
  return { bytes: concat([base, ...ext, l4.bytes]), version: 6, proto, l4Offset: 40 + extLen, l4HeaderLength: l4.headerLength };
}

/**
 * Fragments of the datagram for `spec`: the transport segment is cut into pieces
 * of `fragmentPayload` octets (a multiple of 8). IPv4 fragments carry no options;
 * IPv6 fragments carry a fragment header after any hop-by-hop header (the
 * unfragmentable part); destination options are not used with fragmentation.
 */
export function buildFragments(spec: PacketSpec, fragmentPayload: number, fragmentId: number): Datagram[] {
  if (fragmentPayload % 8 !== 0 || fragmentPayload <= 0) throw new RangeError('fragment payload must be a positive multiple of 8');
  const v6 = isV6(spec);
  const proto = protoNumber(spec.l4, v6);
  const l4 = buildTransport(spec);
  if (fragmentPayload < l4.headerLength) throw new RangeError('the first fragment must hold the whole transport header');
  const out: Datagram[] = [];
  for (let off = 0; off < l4.bytes.length; off += fragmentPayload) {
    const piece = l4.bytes.subarray(off, Math.min(l4.bytes.length, off + fragmentPayload));
    const more = off + fragmentPayload < l4.bytes.length;
    const first = off === 0;
    if (!v6) {
      const hdr = ipv4Header({ ...spec, ip: { ...spec.ip, id: fragmentId, options: new Uint8Array(0) } }, proto, piece.length, { offset8: off / 8, more });
      out.push({ bytes: concat([hdr, piece]), version: 4, proto, l4Offset: first ? hdr.length : -1, l4HeaderLength: first ? l4.headerLength : 0 });
      continue;
    }
    const hbh = spec.ip.extHeaders?.includes('hbh') ?? false;
    const fragHdr = encodeIpv6Fragment(proto, off / 8, more, fragmentId);
    const unfrag = hbh ? [encodeHopByHop(IPPROTO_FRAGMENT)] : [];
    const payloadLength = unfrag.length * 8 + 8 + piece.length;
    const base = ipv6Base(spec, hbh ? IPPROTO_HOPOPTS : IPPROTO_FRAGMENT, payloadLength);
    const l4Offset = first ? 40 + payloadLength - piece.length : -1;
    out.push({ bytes: concat([base, ...unfrag, fragHdr, piece]), version: 6, proto, l4Offset, l4HeaderLength: first ? l4.headerLength : 0 });
  }
  return out;
}

const DEFAULT_SRC_MAC = Uint8Array.of(0x02, 0x00, 0x00, 0x00, 0x00, 0x01);
const DEFAULT_DST_MAC = Uint8Array.of(0x02, 0x00, 0x00, 0x00, 0x00, 0x02);

function vlanTags(vlans: readonly VlanTag[], ethertype: number): Uint8Array {
  const b = new Uint8Array(vlans.length * 4 + 2);
  const v = new DataView(b.buffer);
  vlans.forEach((t, i) => {
    v.setUint16(i * 4, i === 0 ? (t.tpid ?? 0x8100) : (t.tpid ?? 0x8100));
    v.setUint16(i * 4 + 2, ((t.pcp ?? 0) << 13) | (t.vid & 0xfff));
  });
  // Each tag's TPID is the previous header's "type"; the last type is the payload's.
  v.setUint16(vlans.length * 4, ethertype);
  return b;
}

export interface Frame {
  bytes: Uint8Array;
  /** Offset of the IP header inside the frame. */
  l3Offset: number;
}

/** Wraps an IP datagram in the link layer of `linktype` (VLAN tags are dropped for RAW). */
export function encapsulate(dg: Datagram, spec: PacketSpec, linktype: number): Frame {
  const ethertype = dg.version === 6 ? 0x86dd : 0x0800;
  const vlans = spec.vlans ?? [];
  const srcMac = spec.srcMac ?? DEFAULT_SRC_MAC;
  const dstMac = spec.dstMac ?? DEFAULT_DST_MAC;
  const typeAndTags = vlanTags(vlans, ethertype);
  switch (linktype) {
    case LINKTYPE_RAW:
      return { bytes: dg.bytes, l3Offset: 0 };
    case LINKTYPE_ETHERNET: {
      const hl = 12 + typeAndTags.length;
      const b = new Uint8Array(Math.max(60, hl + dg.bytes.length)); // pad runts to the Ethernet minimum
      b.set(dstMac, 0);
      b.set(srcMac, 6);
      b.set(typeAndTags, 12);
      b.set(dg.bytes, hl);
      return { bytes: b, l3Offset: hl };
    }
    case LINKTYPE_LINUX_SLL: {
      const hl = 14 + typeAndTags.length;
      const b = new Uint8Array(hl + dg.bytes.length);
      const v = new DataView(b.buffer);
      v.setUint16(0, 0); // packet type: to us
      v.setUint16(2, 1); // ARPHRD_ETHER
      v.setUint16(4, 6);
      b.set(srcMac, 6);
      b.set(typeAndTags, 14);
      b.set(dg.bytes, hl);
      return { bytes: b, l3Offset: hl };
    }
    case LINKTYPE_LINUX_SLL2: {
      const hl = 20 + typeAndTags.length - 2;
      const b = new Uint8Array(hl + dg.bytes.length);
      const v = new DataView(b.buffer);
      b.set(typeAndTags.subarray(0, 2), 0); // protocol: the first TPID or the ethertype
      v.setUint32(4, 1); // interface index
      v.setUint16(8, 1); // ARPHRD_ETHER
      b[10] = 0; // packet type: to us
      b[11] = 6;
      b.set(srcMac, 12);
      b.set(typeAndTags.subarray(2), 20);
      b.set(dg.bytes, hl);
      return { bytes: b, l3Offset: hl };
    }
    default:
      throw new RangeError(`unsupported linktype ${linktype}`);
  }
}

export function linktypeCarriesVlan(linktype: number): boolean {
  return linktype !== LINKTYPE_RAW;
}
