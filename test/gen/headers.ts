// Low-level header encoders: each returns fresh bytes in network order with
// correct checksums. packets.ts composes them into datagrams and frames.
import { crc32c, foldChecksum, internetChecksum, onesSum, pseudoHeaderSum } from './checksum.js';

export const TCP_FIN = 0x01;
export const TCP_SYN = 0x02;
export const TCP_RST = 0x04;
export const TCP_PSH = 0x08;
export const TCP_ACK = 0x10;
export const TCP_URG = 0x20;
export const TCP_ECE = 0x40;
export const TCP_CWR = 0x80;

export const IPPROTO_HOPOPTS = 0;
export const IPPROTO_FRAGMENT = 44;
export const IPPROTO_DSTOPTS = 60;

export interface Ipv4HeaderFields {
  src: Uint8Array;
  dst: Uint8Array;
  proto: number;
  ttl: number;
  id: number;
  tos: number;
  dontFragment: boolean;
  moreFragments: boolean;
  /** Fragment offset in 8-octet units. */
  fragmentOffset: number;
  /** IPv4 options, a multiple of 4 octets (at most 40). */
  options: Uint8Array;
}

export function encodeIpv4Header(h: Ipv4HeaderFields, payloadLength: number): Uint8Array {
  if (h.options.length % 4 !== 0 || h.options.length > 40) throw new RangeError('IPv4 options must be a multiple of 4, at most 40');
  const hl = 20 + h.options.length;
  const b = new Uint8Array(hl);
  const v = new DataView(b.buffer);
  b[0] = 0x40 | (hl / 4);
  b[1] = h.tos;
  v.setUint16(2, hl + payloadLength);
  v.setUint16(4, h.id & 0xffff);
  v.setUint16(6, (h.dontFragment ? 0x4000 : 0) | (h.moreFragments ? 0x2000 : 0) | (h.fragmentOffset & 0x1fff));
  b[8] = h.ttl;
  b[9] = h.proto;
  b.set(h.src, 12);
  b.set(h.dst, 16);
  b.set(h.options, 20);
  v.setUint16(10, internetChecksum(b));
  return b;
}

/** Router Alert (RFC 2113) preceded by NOP NOP... padded: 8 octets of valid IPv4 options. */
export function ipv4OptionsRouterAlert(): Uint8Array {
  return Uint8Array.of(0x94, 0x04, 0x00, 0x00, 0x01, 0x01, 0x01, 0x00);
}

export interface Ipv6HeaderFields {
  src: Uint8Array;
  dst: Uint8Array;
  nextHeader: number;
  hopLimit: number;
  trafficClass: number;
  flowLabel: number;
}

export function encodeIpv6Header(h: Ipv6HeaderFields, payloadLength: number): Uint8Array {
  const b = new Uint8Array(40);
  const v = new DataView(b.buffer);
  v.setUint32(0, ((6 << 28) | ((h.trafficClass & 0xff) << 20) | (h.flowLabel & 0xfffff)) >>> 0);
  v.setUint16(4, payloadLength);
  b[6] = h.nextHeader;
  b[7] = h.hopLimit;
  b.set(h.src, 8);
  b.set(h.dst, 24);
  return b;
}

/** Hop-by-hop options header (8 octets): Router Alert (MLD) + PadN. */
export function encodeHopByHop(nextHeader: number): Uint8Array {
  return Uint8Array.of(nextHeader, 0, 0x05, 0x02, 0x00, 0x00, 0x01, 0x00);
}

/** Destination options header (8 octets): a single PadN option. */
export function encodeDestOptions(nextHeader: number): Uint8Array {
  return Uint8Array.of(nextHeader, 0, 0x01, 0x04, 0, 0, 0, 0);
}

export function encodeIpv6Fragment(nextHeader: number, offset8: number, more: boolean, id: number): Uint8Array {
  const b = new Uint8Array(8);
  const v = new DataView(b.buffer);
  b[0] = nextHeader;
  v.setUint16(2, ((offset8 & 0x1fff) << 3) | (more ? 1 : 0));
  v.setUint32(4, id >>> 0);
  return b;
}

export interface TcpFields {
  srcPort: number;
  dstPort: number;
  seq: number;
  ack: number;
  flags: number;
  window: number;
  /** TCP options, a multiple of 4 octets. */
  options: Uint8Array;
}

/** TCP segment (header + payload) with its checksum over the pseudo-header. */
export function encodeTcp(t: TcpFields, payload: Uint8Array, src: Uint8Array, dst: Uint8Array): Uint8Array {
  if (t.options.length % 4 !== 0 || t.options.length > 40) throw new RangeError('TCP options must be a multiple of 4, at most 40');
  const hl = 20 + t.options.length;
  const b = new Uint8Array(hl + payload.length);
  const v = new DataView(b.buffer);
  v.setUint16(0, t.srcPort);
  v.setUint16(2, t.dstPort);
  v.setUint32(4, t.seq >>> 0);
  v.setUint32(8, t.ack >>> 0);
  b[12] = (hl / 4) << 4;
  b[13] = t.flags & 0xff;
  v.setUint16(14, t.window);
  b.set(t.options, 20);
  b.set(payload, hl);
  v.setUint16(16, foldChecksum(onesSum(b, 0, b.length, pseudoHeaderSum(src, dst, 6, b.length))));
  return b;
}

/** MSS + SACK-permitted + timestamps + window scale: the usual SYN option set (20 octets). */
export function tcpSynOptions(mss: number, tsVal: number): Uint8Array {
  const b = new Uint8Array(20);
  const v = new DataView(b.buffer);
  b.set([2, 4], 0);
  v.setUint16(2, mss);
  b.set([4, 2, 8, 10], 4);
  v.setUint32(8, tsVal >>> 0);
  v.setUint32(12, 0);
  b.set([1, 3, 3, 7], 16);
  return b;
}

/** NOP NOP + timestamps (12 octets), as on established segments. */
export function tcpTimestampOptions(tsVal: number, tsEcr: number): Uint8Array {
  const b = new Uint8Array(12);
  const v = new DataView(b.buffer);
  b.set([1, 1, 8, 10], 0);
  v.setUint32(4, tsVal >>> 0);
  v.setUint32(8, tsEcr >>> 0);
  return b;
}

export function encodeUdp(srcPort: number, dstPort: number, payload: Uint8Array, src: Uint8Array, dst: Uint8Array): Uint8Array {
  const b = new Uint8Array(8 + payload.length);
  const v = new DataView(b.buffer);
  v.setUint16(0, srcPort);
  v.setUint16(2, dstPort);
  v.setUint16(4, b.length);
  b.set(payload, 8);
  const c = foldChecksum(onesSum(b, 0, b.length, pseudoHeaderSum(src, dst, 17, b.length)));
  v.setUint16(6, c === 0 ? 0xffff : c);
  return b;
}

/** ICMP (v4, no pseudo-header) or ICMPv6 (pseudo-header when src/dst given). */
export function encodeIcmp(type: number, code: number, rest: number, body: Uint8Array, v6?: { src: Uint8Array; dst: Uint8Array }): Uint8Array {
  const b = new Uint8Array(8 + body.length);
  const v = new DataView(b.buffer);
  b[0] = type;
  b[1] = code;
  v.setUint32(4, rest >>> 0);
  b.set(body, 8);
  const initial = v6 ? pseudoHeaderSum(v6.src, v6.dst, 58, b.length) : 0;
  v.setUint16(2, foldChecksum(onesSum(b, 0, b.length, initial)));
  return b;
}

export function sctpChunk(type: number, flags: number, value: Uint8Array): Uint8Array {
  const len = 4 + value.length;
  const b = new Uint8Array((len + 3) & ~3);
  const v = new DataView(b.buffer);
  b[0] = type;
  b[1] = flags;
  v.setUint16(2, len);
  b.set(value, 4);
  return b;
}

export function sctpInitChunk(ack: boolean, initiateTag: number, initialTsn: number): Uint8Array {
  const cookie = ack ? sctpParam(7, Uint8Array.of(0xc0, 0x0c, 0x1e, 0x5a, 0, 0, 0, 1)) : new Uint8Array(0);
  const v = new Uint8Array(16 + cookie.length);
  const d = new DataView(v.buffer);
  d.setUint32(0, initiateTag >>> 0);
  d.setUint32(4, 65536);
  d.setUint16(8, 10);
  d.setUint16(10, 10);
  d.setUint32(12, initialTsn >>> 0);
  v.set(cookie, 16);
  return sctpChunk(ack ? 2 : 1, 0, v);
}

function sctpParam(type: number, value: Uint8Array): Uint8Array {
  const len = 4 + value.length;
  const b = new Uint8Array((len + 3) & ~3);
  const v = new DataView(b.buffer);
  v.setUint16(0, type);
  v.setUint16(2, len);
  b.set(value, 4);
  return b;
}

export function sctpDataChunk(tsn: number, streamId: number, streamSeq: number, ppid: number, data: Uint8Array): Uint8Array {
  const v = new Uint8Array(12 + data.length);
  const d = new DataView(v.buffer);
  d.setUint32(0, tsn >>> 0);
  d.setUint16(4, streamId);
  d.setUint16(6, streamSeq);
  d.setUint32(8, ppid >>> 0);
  v.set(data, 12);
  return sctpChunk(0, 0x03, v);
}

export function sctpSackChunk(cumTsn: number): Uint8Array {
  const v = new Uint8Array(12);
  const d = new DataView(v.buffer);
  d.setUint32(0, cumTsn >>> 0);
  d.setUint32(4, 65536);
  return sctpChunk(3, 0, v);
}

/** SCTP packet: common header + chunks, CRC32c stored as on the wire (least significant byte first). */
export function encodeSctp(srcPort: number, dstPort: number, verificationTag: number, chunks: Uint8Array): Uint8Array {
  const b = new Uint8Array(12 + chunks.length);
  const v = new DataView(b.buffer);
  v.setUint16(0, srcPort);
  v.setUint16(2, dstPort);
  v.setUint32(4, verificationTag >>> 0);
  b.set(chunks, 12);
  v.setUint32(8, crc32c(b), true);
  return b;
}
