// Capture file writers: classic pcap (little-endian, microsecond or
// nanosecond magic) and pcapng (SHB, one IDB per link type with if_tsresol,
// EPBs), optionally gzip-compressed, optionally cut to a snaplen so that
// caplen < wirelen.
//
// Two ways in:
//  - encodePcap / encodePcapng / writeCaptureFile: a list of frames in, one
//    Buffer (or file) out. For scenario captures (thousands of frames).
//  - CaptureStreamWriter: records are appended straight into a large chunk
//    buffer (reserve() hands out the offset where the frame bytes go) and the
//    chunk is written with one syscall when full. For benchmark captures
//    (millions of frames): no per-packet allocation, no per-packet write.
//
// gzip: the one-shot encoders produce a single gzip member; the stream writer
// compresses each chunk as its own member. A sequence of members is a valid
// gzip file (RFC 1952 section 2.2) and zlib's gzread, gunzip and Node's
// zlib all read it as one stream.
import { closeSync, openSync, writeFileSync, writeSync } from 'node:fs';
import { gzipSync } from 'node:zlib';

import { NS_PER_SEC, type TsPrecision } from './time.js';

export type { TsPrecision } from './time.js';

export const PCAP_MAGIC_US = 0xa1b2c3d4;
export const PCAP_MAGIC_NS = 0xa1b23c4d;
export const PCAPNG_SHB = 0x0a0d0d0a;
export const PCAPNG_IDB = 1;
export const PCAPNG_EPB = 6;
export const PCAPNG_BYTE_ORDER_MAGIC = 0x1a2b3c4d;
/** libpcap's MAXIMUM_SNAPLEN: the header's snaplen when no truncation is asked for. */
export const DEFAULT_SNAPLEN = 262144;

export interface CaptureFrame {
  /** Capture time, nanoseconds since the Unix epoch. */
  ts: bigint;
  /** tcpdump.org LINKTYPE_* of `data`. */
  linktype: number;
  /** The whole frame as it was on the wire. */
  data: Uint8Array;
}

export interface EncodeOptions {
  /** Timestamp resolution written to the file (pcap magic / pcapng if_tsresol). Default 'us'. */
  precision?: TsPrecision;
  /** Cut every frame to this many octets (caplen), keeping its wire length (origlen). */
  snaplen?: number;
  gzip?: boolean;
  /** gzip level (zlib 0..9). Default 6. */
  gzipLevel?: number;
}

export interface PcapOptions extends EncodeOptions {
  /** Link type for the file header; default: the frames' (which must all agree). */
  linktype?: number;
}

function splitTs(ts: bigint, precision: TsPrecision): { sec: number; frac: number } {
  if (ts < 0n) throw new RangeError('negative timestamp');
  const sec = ts / NS_PER_SEC;
  const ns = ts % NS_PER_SEC;
  if (sec > 0xffffffffn) throw new RangeError('timestamp past 2106');
  return { sec: Number(sec), frac: Number(precision === 'us' ? ns / 1000n : ns) };
}

function caplenOf(len: number, snaplen: number | undefined): number {
  return snaplen === undefined ? len : Math.min(len, snaplen);
}

function maybeGzip(b: Buffer, opts: EncodeOptions): Buffer {
  return opts.gzip ? gzipSync(b, { level: opts.gzipLevel ?? 6 }) : b;
}

/** The 24-octet pcap file header (little-endian). */
export function pcapFileHeader(linktype: number, precision: TsPrecision = 'us', snaplen = DEFAULT_SNAPLEN): Buffer {
  const h = Buffer.alloc(24);
  h.writeUInt32LE(precision === 'us' ? PCAP_MAGIC_US : PCAP_MAGIC_NS, 0);
  h.writeUInt16LE(2, 4);
  h.writeUInt16LE(4, 6);
  h.writeInt32LE(0, 8); // thiszone
  h.writeUInt32LE(0, 12); // sigfigs
  h.writeUInt32LE(snaplen, 16);
  h.writeUInt32LE(linktype, 20);
  return h;
}

/** A whole pcap file. Every frame must have the file's link type (pcap has one per file). */
export function encodePcap(frames: readonly CaptureFrame[], opts: PcapOptions = {}): Buffer {
  const precision = opts.precision ?? 'us';
  const linktype = opts.linktype ?? frames[0]?.linktype;
  if (linktype === undefined) throw new TypeError('encodePcap: no frames and no linktype');
  let size = 24;
  for (const f of frames) {
    if (f.linktype !== linktype) {
      throw new RangeError(`encodePcap: frame linktype ${f.linktype} differs from the file's ${linktype} (use pcapng to mix)`);
    }
    size += 16 + caplenOf(f.data.length, opts.snaplen);
  }
  const out = Buffer.allocUnsafe(size);
  pcapFileHeader(linktype, precision, opts.snaplen ?? DEFAULT_SNAPLEN).copy(out, 0);
  let at = 24;
  for (const f of frames) {
    const { sec, frac } = splitTs(f.ts, precision);
    const caplen = caplenOf(f.data.length, opts.snaplen);
    out.writeUInt32LE(sec, at);
    out.writeUInt32LE(frac, at + 4);
    out.writeUInt32LE(caplen, at + 8);
    out.writeUInt32LE(f.data.length, at + 12);
    out.set(f.data.subarray(0, caplen), at + 16);
    at += 16 + caplen;
  }
  return maybeGzip(out, opts);
}

/** Section Header Block, little-endian, section length unknown (-1), no options. */
export function pcapngSectionHeader(): Buffer {
  const b = Buffer.alloc(28);
  b.writeUInt32LE(PCAPNG_SHB, 0);
  b.writeUInt32LE(28, 4);
  b.writeUInt32LE(PCAPNG_BYTE_ORDER_MAGIC, 8);
  b.writeUInt16LE(1, 12);
  b.writeUInt16LE(0, 14);
  b.writeInt32LE(-1, 16);
  b.writeInt32LE(-1, 20);
  b.writeUInt32LE(28, 24);
  return b;
}

/** Interface Description Block with if_tsresol (6 = microseconds, 9 = nanoseconds) and opt_endofopt. */
export function pcapngInterface(linktype: number, precision: TsPrecision = 'us', snaplen = 0): Buffer {
  const b = Buffer.alloc(32);
  b.writeUInt32LE(PCAPNG_IDB, 0);
  b.writeUInt32LE(32, 4);
  b.writeUInt16LE(linktype, 8);
  b.writeUInt16LE(0, 10);
  b.writeUInt32LE(snaplen, 12);
  b.writeUInt16LE(9, 16); // if_tsresol
  b.writeUInt16LE(1, 18);
  b.writeUInt8(precision === 'us' ? 6 : 9, 20);
  b.writeUInt16LE(0, 24); // opt_endofopt
  b.writeUInt16LE(0, 26);
  b.writeUInt32LE(32, 28);
  return b;
}

export interface PcapngOptions extends EncodeOptions {
  /**
   * Interfaces to declare, in order (EPB interface id = index). Default: one
   * per distinct frame link type, in order of first appearance. A frame uses
   * the first interface with its link type.
   */
  interfaces?: ReadonlyArray<{ linktype: number; precision?: TsPrecision }>;
}

/** A whole pcapng file: SHB, IDBs, one EPB per frame. */
export function encodePcapng(frames: readonly CaptureFrame[], opts: PcapngOptions = {}): Buffer {
  const precision = opts.precision ?? 'us';
  const ifaces = opts.interfaces
    ? opts.interfaces.map((i) => ({ linktype: i.linktype, precision: i.precision ?? precision }))
    : [...new Set(frames.map((f) => f.linktype))].map((linktype) => ({ linktype, precision }));
  const ifIndex = new Map<number, number>();
  ifaces.forEach((i, n) => {
    if (!ifIndex.has(i.linktype)) ifIndex.set(i.linktype, n);
  });
  const parts: Buffer[] = [pcapngSectionHeader(), ...ifaces.map((i) => pcapngInterface(i.linktype, i.precision, opts.snaplen ?? 0))];
  let size = parts.reduce((n, p) => n + p.length, 0);
  for (const f of frames) size += 32 + ((caplenOf(f.data.length, opts.snaplen) + 3) & ~3);
  const out = Buffer.alloc(size);
  let at = 0;
  for (const p of parts) {
    p.copy(out, at);
    at += p.length;
  }
  for (const f of frames) {
    const id = ifIndex.get(f.linktype);
    if (id === undefined) throw new RangeError(`encodePcapng: no interface for linktype ${f.linktype}`);
    const iface = ifaces[id];
    const ticks = iface?.precision === 'ns' ? f.ts : f.ts / 1000n;
    const caplen = caplenOf(f.data.length, opts.snaplen);
    const len = 32 + ((caplen + 3) & ~3);
    out.writeUInt32LE(PCAPNG_EPB, at);
    out.writeUInt32LE(len, at + 4);
    out.writeUInt32LE(id, at + 8);
    out.writeUInt32LE(Number(ticks >> 32n), at + 12);
    out.writeUInt32LE(Number(ticks & 0xffffffffn), at + 16);
    out.writeUInt32LE(caplen, at + 20);
    out.writeUInt32LE(f.data.length, at + 24);
    out.set(f.data.subarray(0, caplen), at + 28);
    out.writeUInt32LE(len, at + len - 4); // padding stays zero (Buffer.alloc)
    at += len;
  }
  return maybeGzip(out, opts);
}

export type CaptureFormat = 'pcap' | 'pcapng';

export interface WriteCaptureOptions extends PcapngOptions {
  format?: CaptureFormat;
  linktype?: number;
}

/** Writes frames to `path` as pcap (default) or pcapng. Returns the file size. */
export function writeCaptureFile(path: string, frames: readonly CaptureFrame[], opts: WriteCaptureOptions = {}): number {
  const bytes = (opts.format ?? 'pcap') === 'pcap' ? encodePcap(frames, opts) : encodePcapng(frames, opts);
  writeFileSync(path, bytes);
  return bytes.length;
}

export interface StreamWriterOptions {
  format?: CaptureFormat;
  precision?: TsPrecision;
  /** pcap: exactly one. pcapng: one IDB each, interface id = index. */
  linktypes: readonly number[];
  /** Only the file header's snaplen field; callers cut frames themselves (caplen in reserve()). */
  snaplen?: number;
  gzip?: boolean;
  /** Default 1 (fast): benchmark files are written once and read many times. */
  gzipLevel?: number;
  /** Size of the in-memory chunk written with one syscall. Default 8 MiB, at least 1 MiB. */
  chunkBytes?: number;
  /** Octets of caller scratch space in the same ArrayBuffer as the chunk (see `mem`). Default 0. */
  arenaBytes?: number;
}

/**
 * Appends records to a capture file through a large chunk buffer.
 *
 *   const at = w.reserve(sec, frac, caplen, wirelen);
 *   w.buf.set(frameBytes.subarray(0, caplen), at);   // or patch bytes in place
 *
 * `frac` is in the file's units (microseconds or nanoseconds). The bytes at
 * `at .. at+caplen` must be written before the next reserve(); pcapng padding
 * and trailers are filled in by reserve().
 *
 * With `arenaBytes`, the chunk and an arena of that size share one
 * ArrayBuffer: `mem` views both (the chunk at 0, the arena at `arenaOffset`),
 * so templates kept in the arena are copied into records with
 * `mem.copyWithin(at, arenaOffset + from, arenaOffset + to)`, the fastest
 * copy JavaScript has (no allocation, no argument checks in JS).
 */
export class CaptureStreamWriter {
  /** The chunk: records are written at the offsets reserve() returns. */
  readonly buf: Buffer;
  /** The chunk and the arena as one array (chunk offsets are `mem` offsets). */
  readonly mem: Uint8Array;
  /** The caller's arena (empty unless `arenaBytes`). */
  readonly arena: Buffer;
  /** Offset of `arena` inside `mem`. */
  readonly arenaOffset: number;
  private readonly view: DataView;
  private at = 0;
  private fd: number;
  private readonly pcapng: boolean;
  private readonly gzip: boolean;
  private readonly gzipLevel: number;
  private readonly ticksPerSec: number;
  records = 0;
  /** Bytes written to the file so far (compressed size when gzip). */
  fileBytes = 0;
  /** Uncompressed capture bytes produced so far. */
  captureBytes = 0;

  constructor(path: string, opts: StreamWriterOptions) {
    this.pcapng = (opts.format ?? 'pcap') === 'pcapng';
    if (!this.pcapng && opts.linktypes.length !== 1) throw new RangeError('pcap has exactly one linktype per file');
    if (opts.linktypes.length === 0) throw new RangeError('at least one linktype');
    const precision = opts.precision ?? 'us';
    this.ticksPerSec = precision === 'us' ? 1e6 : 1e9;
    this.gzip = opts.gzip ?? false;
    this.gzipLevel = opts.gzipLevel ?? 1;
    const size = Math.max(opts.chunkBytes ?? 8 << 20, 1 << 20);
    const arena = Math.max(0, opts.arenaBytes ?? 0);
    const ab = new ArrayBuffer(size + arena);
    this.mem = new Uint8Array(ab);
    this.buf = Buffer.from(ab, 0, size);
    this.arena = Buffer.from(ab, size, arena);
    this.arenaOffset = size;
    this.view = new DataView(ab, 0, size);
    this.fd = openSync(path, 'w');
    const header = this.pcapng
      ? Buffer.concat([pcapngSectionHeader(), ...opts.linktypes.map((l) => pcapngInterface(l, precision, opts.snaplen ?? 0))])
      : pcapFileHeader(opts.linktypes[0] ?? 1, precision, opts.snaplen ?? DEFAULT_SNAPLEN);
    header.copy(this.buf, 0);
    this.at = header.length;
  }

  /** Starts a record and returns the offset in `buf` where its `caplen` frame octets go. */
  reserve(sec: number, frac: number, caplen: number, wirelen: number, iface = 0): number {
    const v = this.view;
    if (this.pcapng) {
      const padded = (caplen + 3) & ~3;
      const len = 32 + padded;
      if (this.at + len > this.buf.length) this.flush(len);
      const at = this.at;
      // ticks = sec * ticksPerSec + frac, split into 32-bit halves exactly in doubles:
      // sec = hi16 * 2^16 + lo16, so sec * R = (hi16 * R) * 2^16 + lo16 * R, each < 2^47.
      const R = this.ticksPerSec;
      const y = Math.floor(sec / 65536) * R;
      const x = (sec % 65536) * R + frac;
      const yLo = y % 65536;
      const z = yLo * 65536 + x;
      const low = z % 4294967296;
      const high = (y - yLo) / 65536 + Math.floor(z / 4294967296);
      v.setUint32(at, PCAPNG_EPB, true);
      v.setUint32(at + 4, len, true);
      v.setUint32(at + 8, iface, true);
      v.setUint32(at + 12, high, true);
      v.setUint32(at + 16, low, true);
      v.setUint32(at + 20, caplen, true);
      v.setUint32(at + 24, wirelen, true);
      for (let i = caplen; i < padded; i++) this.buf[at + 28 + i] = 0;
      v.setUint32(at + len - 4, len, true);
      this.at = at + len;
      this.records++;
      return at + 28;
    }
    const len = 16 + caplen;
    if (this.at + len > this.buf.length) this.flush(len);
    const at = this.at;
    v.setUint32(at, sec, true);
    v.setUint32(at + 4, frac, true);
    v.setUint32(at + 8, caplen, true);
    v.setUint32(at + 12, wirelen, true);
    this.at = at + len;
    this.records++;
    return at + 16;
  }

  /** Convenience for callers that have a whole frame: copies it (cut to `caplen`). */
  writeFrame(ts: bigint, data: Uint8Array, opts: { iface?: number; caplen?: number } = {}): void {
    const sec = Number(ts / NS_PER_SEC);
    const ns = Number(ts % NS_PER_SEC);
    const frac = this.ticksPerSec === 1e6 ? Math.floor(ns / 1000) : ns;
    const caplen = Math.min(data.length, opts.caplen ?? data.length);
    const at = this.reserve(sec, frac, caplen, data.length, opts.iface ?? 0);
    this.buf.set(data.subarray(0, caplen), at);
  }

  private flush(need = 0): void {
    if (need > this.buf.length) throw new RangeError(`a ${need}-octet record does not fit the ${this.buf.length}-octet chunk`);
    if (this.at > 0) {
      const raw = this.buf.subarray(0, this.at);
      this.captureBytes += raw.length;
      const out = this.gzip ? gzipSync(raw, { level: this.gzipLevel }) : raw;
      let off = 0;
      while (off < out.length) off += writeSync(this.fd, out, off, out.length - off);
      this.fileBytes += out.length;
      this.at = 0;
    }
  }

  close(): void {
    if (this.fd < 0) return;
    this.flush();
    closeSync(this.fd);
    this.fd = -1;
  }
}
