// Internet checksum (RFC 1071) and CRC32c (SCTP, RFC 9260 appendix B).

/** One's-complement sum of 16-bit words, not yet folded or inverted. */
export function onesSum(buf: Uint8Array, start = 0, end = buf.length, initial = 0): number {
  let sum = initial;
  let i = start;
  for (; i + 1 < end; i += 2) sum += ((buf[i] ?? 0) << 8) | (buf[i + 1] ?? 0);
  if (i < end) sum += (buf[i] ?? 0) << 8;
  return sum;
}

export function foldChecksum(sum: number): number {
  let s = sum;
  while (s > 0xffff) s = (s & 0xffff) + Math.floor(s / 0x10000);
  return ~s & 0xffff;
}

export function internetChecksum(buf: Uint8Array, start = 0, end = buf.length, initial = 0): number {
  return foldChecksum(onesSum(buf, start, end, initial));
}

/** Pseudo-header sum for TCP/UDP/ICMPv6 over IPv4 or IPv6. */
export function pseudoHeaderSum(src: Uint8Array, dst: Uint8Array, proto: number, upperLen: number): number {
  let sum = onesSum(src) + onesSum(dst) + proto;
  if (src.length === 4) sum += upperLen;
  else sum += Math.floor(upperLen / 0x10000) + (upperLen & 0xffff);
  return sum;
}

const CRC32C_TABLE: Uint32Array = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

export function crc32c(buf: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < buf.length; i++) c = (CRC32C_TABLE[(c ^ (buf[i] ?? 0)) & 0xff] ?? 0) ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
