// Benchmark capture generators: millions of packets, written fast.
//
// How they stay fast: every flow gets a header template per direction
// (Ethernet + IP + TCP/UDP, at most 74 octets) built once when the flow
// starts, kept next to one shared payload pattern in the writer's arena (the
// same ArrayBuffer as its output chunk). Per packet the generator copies the
// template and the payload prefix into the chunk with copyWithin (no
// allocation, no JS-side argument checks), patches the fields that change
// (IP total length, IP ID, TCP seq/ack/flags, UDP length) and recomputes the
// IPv4 header and TCP/UDP checksums from the header words plus a precomputed
// sum of the pattern prefix (payloads start at an even offset). Per-flow
// state is one 64-octet line, and the next packet's flow is drawn one packet
// ahead and touched early, so the cache misses of 100k random flows overlap.
//
// So the traffic is valid on the wire: checksums verify, seq/ack advance per
// direction, TCP flows open with SYN, SYN-ACK, ACK and close with FIN, FIN.
// What is simplified: no retransmissions or windows, the same payload bytes
// everywhere, IP IDs counting per direction, timestamps at a fixed packet
// rate with no jitter.
//
// Flow identities are unique by construction (the client address is a
// bijection of the flow's index), so the number of flows generated is the
// number of records the engine must export, as long as its table holds the
// concurrent flows and the capture is shorter than the idle timeout (the
// defaults, 1 Mpps capture clock, give a 5 s capture).
//
// Throughput (writeBenchMix, 100k flows, 2-core VM): 1.1-2 M packets/s to
// /dev/null; writing the ~1.5 GB of a 5 M-packet mix to disk adds the
// device's time (~0.6 M packets/s end to end on that VM's disk). The flood
// (60-octet frames) runs at 1.5-4 M packets/s.
import { CaptureStreamWriter, type CaptureFormat } from './capture-writer.js';
import { LINKTYPE_ETHERNET } from './packets.js';
import { Prng } from './prng.js';
import { type TsPrecision } from './time.js';

export interface BenchCommonOptions {
  /** Packets to write. Default 5_000_000. */
  packets?: number;
  seed?: number;
  /** Capture-clock packets per second (timestamps advance 1/rate per packet). Default 1_000_000. */
  rate?: number;
  /** First timestamp, seconds since the epoch. Default 1_700_000_000. */
  startSec?: number;
  /**
   * Cut frames to this many octets (records keep the wire length). At least
   * the largest header the generator writes (74 for the mix, whose IPv6 TCP
   * headers are 14 + 40 + 20; 54 for the flood), so that the engine can parse
   * every packet. Default: not cut.
   */
  snaplen?: number;
  format?: CaptureFormat;
  precision?: TsPrecision;
  gzip?: boolean;
}

export interface BenchMixOptions extends BenchCommonOptions {
  /** Flows alive at any time; a finished flow is replaced by a new one. Default 100_000. */
  concurrentFlows?: number;
  /** Share of flows over IPv6. Default 0.1. */
  ipv6Share?: number;
  /** Share of flows that are UDP (the rest TCP). Default 0.3. */
  udpShare?: number;
  /** Mean packets per flow (exponential, with 2% elephants at 20x). Default 40. */
  meanFlowPackets?: number;
}

export interface BenchFloodOptions extends BenchCommonOptions {
  /** Share of packets that are the victim's SYN-ACK to the SYN just before (a 2-packet flow). Default 0.02. */
  replyShare?: number;
  /** The attacked address (IPv4). Default 192.0.2.80. */
  victim?: string;
  /** Attacked ports, picked at random per SYN. Default [80, 443]. */
  ports?: readonly number[];
}

export interface BenchSummary {
  path: string;
  packets: number;
  /** Flows generated = records the engine exports (no timeouts, no eviction, see above). */
  flows: number;
  /** Of those, TCP flows closed with FIN/FIN inside the capture (endReason fin); the rest end eof. */
  closedFlows: number;
  tcpFlows: number;
  udpFlows: number;
  ipv6Packets: number;
  /** Sum of IP-layer lengths (what the records' bytes + revBytes add up to). */
  ipBytes: number;
  /** Sum of frame lengths on the wire. */
  wireBytes: number;
  /** Uncompressed capture file size. */
  captureBytes: number;
  /** File size on disk. */
  fileBytes: number;
  firstTsNs: bigint;
  lastTsNs: bigint;
  /** Wall-clock seconds spent generating and writing. */
  seconds: number;
  packetsPerSecond: number;
}

const ETH = 14;
const STRIDE = 80; // template slot: 14 + 40 + 20 = 74 octets at most
const PATTERN_BYTES = 1600;

// Shared payload pattern and the one's-complement sums of its prefixes.
const PATTERN = new Uint8Array(PATTERN_BYTES);
for (let i = 0; i < PATTERN.length; i++) PATTERN[i] = 0x20 + ((i * 7 + (i >> 5)) % 95);
const PATTERN_SUM = new Float64Array(PATTERN.length + 1);
{
  let s = 0;
  for (let i = 0; i <= PATTERN.length; i++) {
    PATTERN_SUM[i] = i % 2 === 0 ? s : s + ((PATTERN[i - 1] ?? 0) << 8);
    if (i % 2 === 1) s += ((PATTERN[i - 1] ?? 0) << 8) | (PATTERN[i] ?? 0);
  }
}

function fold(sum: number): number {
  let s = sum;
  while (s > 0xffff) s = (s & 0xffff) + Math.floor(s / 65536);
  return ~s & 0xffff;
}

function wordsSum(b: Uint8Array, start: number, end: number): number {
  let s = 0;
  for (let i = start; i < end; i += 2) s += (b[i]! << 8) | b[i + 1]!;
  return s;
}

function put16(b: Uint8Array, at: number, v: number): void {
  b[at] = (v >>> 8) & 0xff;
  b[at + 1] = v & 0xff;
}

function put32(b: Uint8Array, at: number, v: number): void {
  b[at] = (v >>> 24) & 0xff;
  b[at + 1] = (v >>> 16) & 0xff;
  b[at + 2] = (v >>> 8) & 0xff;
  b[at + 3] = v & 0xff;
}

/** lowbias32: a bijection on 32-bit integers (xor-shifts and odd multiplies). */
function mix32(x: number): number {
  x ^= x >>> 16;
  x = Math.imul(x, 0x7feb352d);
  x ^= x >>> 15;
  x = Math.imul(x, 0x846ca68b);
  x ^= x >>> 16;
  return x >>> 0;
}

/** A bijection on 24-bit integers (odd multiplies mod 2^24 and xor-shifts). */
function mix24(x: number): number {
  x &= 0xffffff;
  x = Math.imul(x ^ (x >>> 12), 0x9e3779) & 0xffffff;
  x ^= x >>> 11;
  x = Math.imul(x, 0x5bd1e9) & 0xffffff;
  return (x ^ (x >>> 13)) >>> 0;
}

/** Receives the XOR of writeBenchMix's prefetching loads so the JIT cannot drop them. */
export let prefetchSink = 0;

interface Writer {
  w: CaptureStreamWriter;
  ns: boolean;
  snaplen: number;
}

function openWriter(path: string, o: BenchCommonOptions, arenaBytes: number, minSnaplen: number): Writer {
  if (o.snaplen !== undefined && o.snaplen < minSnaplen) {
    throw new RangeError(`snaplen ${o.snaplen} would cut the ${minSnaplen}-octet headers the engine must parse`);
  }
  const precision = o.precision ?? 'us';
  const w = new CaptureStreamWriter(path, {
    format: o.format ?? 'pcap', precision, linktypes: [LINKTYPE_ETHERNET], gzip: o.gzip ?? false, arenaBytes,
    ...(o.snaplen !== undefined ? { snaplen: o.snaplen } : {}),
  });
  return { w, ns: precision === 'ns', snaplen: o.snaplen ?? 0x7fffffff };
}

function writeEthernet(b: Uint8Array, at: number, v6: boolean, fromClient: boolean, macSeed: number): void {
  // Locally administered unicast MACs: 02:xx:xx:xx:xx:01 for clients, 06:00:5e:00:00:fe for servers.
  const c = [0x02, (macSeed >>> 24) & 0xff, (macSeed >>> 16) & 0xff, (macSeed >>> 8) & 0xff, macSeed & 0xff, 0x01];
  const s = [0x06, 0x00, 0x5e, 0x00, 0x00, 0xfe];
  const dst = fromClient ? s : c;
  const src = fromClient ? c : s;
  for (let i = 0; i < 6; i++) {
    b[at + i] = dst[i]!;
    b[at + 6 + i] = src[i]!;
  }
  put16(b, at + 12, v6 ? 0x86dd : 0x0800);
}

/**
 * A realistic mix: `concurrentFlows` TCP/UDP flows alive at once (IPv4 mostly,
 * some IPv6), each packet from a random live flow; frame sizes from the flow's
 * profile: interactive (small both ways, 60-octet frames), request/response
 * (576-octet IP packets one way) or bulk (1500-octet IP packets one way, ACKs
 * back).
 */
export function writeBenchMix(path: string, opts: BenchMixOptions = {}): BenchSummary {
  const t0 = performance.now();
  const total = opts.packets ?? 5_000_000;
  const C = Math.max(1, opts.concurrentFlows ?? 100_000);
  const rng = new Prng(opts.seed ?? 1);
  const nsPerPacket = 1e9 / (opts.rate ?? 1_000_000);
  const startSec = opts.startSec ?? 1_700_000_000;
  const ipv6Share = opts.ipv6Share ?? 0.1;
  const udpShare = opts.udpShare ?? 0.3;
  const meanLen = opts.meanFlowPackets ?? 40;
  const seedSalt = mix32(opts.seed ?? 1);
  // Arena: the payload pattern, a scratch frame, then two header templates per flow slot.
  const SCR = 2048;
  const POOL = SCR + 128;
  const { w, ns, snaplen } = openWriter(path, opts, POOL + C * 2 * STRIDE, 74);
  const mem = w.mem;
  const A = w.arenaOffset;
  const arena = w.arena;
  arena.set(PATTERN, 0);

  // Per-slot state, one 64-octet line per flow (random access over 100k flows
  // is cache-miss bound: one line instead of one per field).
  const ST = 16;
  const F_V6 = 1;
  const F_TCP = 2;
  const [KIND, HDR, PAY0, PAY1, LEFT, SENT, SEQ0, SEQ1, ID0, ID1, PSEUDO, BIAS] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11] as const;
  const st = new Int32Array(C * ST);

  let flows = 0;
  let tcpFlows = 0;
  let closedFlows = 0;
  let ipv6Packets = 0;
  let ipBytes = 0;
  let wireBytes = 0;

  const newFlow = (slot: number): void => {
    const k = flows++;
    const v6 = rng.float() < ipv6Share;
    const tcp = rng.float() >= udpShare;
    if (tcp) tcpFlows++;
    const b = slot * ST;
    st[b + KIND] = (v6 ? F_V6 : 0) | (tcp ? F_TCP : 0);
    const l3 = v6 ? 40 : 20;
    const l4 = tcp ? 20 : 8;
    st[b + HDR] = ETH + l3 + l4;
    // Size profile -> IP-layer lengths per direction; bias = P(client sends) in 2^-31 units.
    const r = rng.float();
    let fwdIp: number;
    let revIp: number;
    let bias: number;
    if (r < 0.55) {
      fwdIp = rng.int(l3 + l4, l3 + l4 + 24);
      revIp = rng.int(l3 + l4, l3 + l4 + 24);
      bias = 0.5;
    } else if (r < 0.85) {
      fwdIp = rng.int(l3 + l4 + 20, l3 + l4 + 200);
      revIp = 576;
      bias = 0.35;
    } else {
      fwdIp = 1500;
      revIp = l3 + l4 + (tcp ? 12 : 0);
      bias = 0.67;
    }
    st[b + BIAS] = Math.floor(bias * 2 ** 31);
    st[b + PAY0] = fwdIp - l3 - l4;
    st[b + PAY1] = revIp - l3 - l4;
    let len = Math.max(1, Math.round(-Math.log(1 - rng.float()) * meanLen));
    if (rng.float() < 0.02) len *= 20;
    st[b + LEFT] = tcp ? Math.max(5, len) : len;
    st[b + SENT] = 0;
    st[b + SEQ0] = rng.u32() | 0;
    st[b + SEQ1] = rng.u32() | 0;
    st[b + ID0] = rng.u32() & 0xffff;
    st[b + ID1] = rng.u32() & 0xffff;

    // Addresses: the client is a bijection of k (unique per flow), the server one of 4096.
    const server = rng.int(0, 4095);
    const serverPort = tcp ? rng.pick([80, 443, 443, 443, 8080, 22, 5432]) : rng.pick([443, 443, 3478, 4500, 5004, 51820]);
    const block = Math.floor(k / 0x1000000);
    const clientPort = 1024 + (block % 64) * 1000 + rng.int(0, 999);
    const clientLow = mix24(k ^ seedSalt);
    let psum = tcp ? 6 : 17;
    for (let dir = 0; dir < 2; dir++) {
      const at = POOL + (slot * 2 + dir) * STRIDE;
      arena.fill(0, at, at + STRIDE);
      const fromClient = dir === 0;
      writeEthernet(arena, at, v6, fromClient, clientLow);
      const ip = at + ETH;
      if (!v6) {
        arena[ip] = 0x45;
        put16(arena, ip + 6, 0x4000); // DF
        arena[ip + 8] = fromClient ? 64 : 57;
        arena[ip + 9] = tcp ? 6 : 17;
        const c = (0x0a000000 | clientLow) >>> 0; // 10.x.y.z
        const sv = (0xac100000 | server) >>> 0; // 172.16.x.y
        put32(arena, ip + 12, fromClient ? c : sv);
        put32(arena, ip + 16, fromClient ? sv : c);
        if (dir === 0) psum += wordsSum(arena, ip + 12, ip + 20);
      } else {
        put32(arena, ip, (0x60000000 | (clientLow & 0xfffff)) >>> 0);
        arena[ip + 6] = tcp ? 6 : 17;
        arena[ip + 7] = fromClient ? 64 : 57;
        const c = ip + (fromClient ? 8 : 24);
        const sv = ip + (fromClient ? 24 : 8);
        put32(arena, c, 0x20010db8); // 2001:db8:1:<block>::1:<k>
        put32(arena, c + 4, 0x00010000 | block);
        put32(arena, c + 12, (0x00010000 | (clientLow >>> 16)) >>> 0);
        put16(arena, c + 14, clientLow & 0xffff);
        put32(arena, sv, 0x20010db8); // 2001:db8:ffff::<0x100 + server>
        put32(arena, sv + 4, 0xffff0000);
        put32(arena, sv + 12, 0x100 + server);
        if (dir === 0) psum += wordsSum(arena, ip + 8, ip + 40);
      }
      const t = ip + l3;
      put16(arena, t, fromClient ? clientPort : serverPort);
      put16(arena, t + 2, fromClient ? serverPort : clientPort);
      if (tcp) {
        arena[t + 12] = 0x50;
        put16(arena, t + 14, fromClient ? 64240 : 65160);
      }
    }
    st[b + PSEUDO] = psum;
  };

  for (let s = 0; s < C; s++) newFlow(s);

  let lastNs = 0;
  // The slot of the next packet is drawn one packet ahead and its state line and
  // template touched early: the loads are independent of the current packet's
  // work, so the CPU overlaps their cache misses with it (a software prefetch).
  let next = Math.floor(rng.float() * C);
  let touch = 0;
  for (let i = 0; i < total; i++) {
    const slot = next;
    next = Math.floor(rng.float() * C);
    touch ^= st[next * ST]! ^ mem[A + POOL + next * 2 * STRIDE + 13]! ^ mem[A + POOL + next * 2 * STRIDE + STRIDE + 13]!;
    const b = slot * ST;
    const kind = st[b + KIND]!;
    const tcp = (kind & F_TCP) !== 0;
    const v6 = (kind & F_V6) !== 0;
    const n = st[b + SENT]!;
    const left = st[b + LEFT]!;
    let dir: number;
    let flags = 0;
    let pay: number;
    if (tcp) {
      if (n === 0) {
        dir = 0;
        flags = 0x02; // SYN
        pay = 0;
      } else if (n === 1) {
        dir = 1;
        flags = 0x12; // SYN-ACK
        pay = 0;
      } else if (n === 2) {
        dir = 0;
        flags = 0x10; // ACK
        pay = 0;
      } else if (left === 2) {
        dir = 0;
        flags = 0x11; // FIN-ACK
        pay = 0;
      } else if (left === 1) {
        dir = 1;
        flags = 0x11; // FIN-ACK: both FINs seen, the flow closes
        pay = 0;
      } else {
        dir = rng.u32() >>> 1 < st[b + BIAS]! ? 0 : 1;
        pay = st[b + PAY0 + dir]!;
        flags = pay > 0 ? 0x18 : 0x10;
      }
    } else {
      dir = n === 0 ? 0 : rng.u32() >>> 1 < st[b + BIAS]! ? 0 : 1;
      pay = st[b + PAY0 + dir]!;
    }
    const hl = st[b + HDR]!;
    const l3len = v6 ? 40 : 20;
    const l4len = hl - ETH - l3len + pay;
    const frameLen = hl + pay;
    const wire = frameLen < 60 ? 60 : frameLen;
    const caplen = wire < snaplen ? wire : snaplen;
    const tNs = Math.round(i * nsPerPacket);
    const rem = tNs % 1e9;
    lastNs = tNs;
    const at = w.reserve(startSec + (tNs - rem) / 1e9, ns ? rem : Math.floor(rem / 1000), caplen, wire);
    const direct = caplen >= hl;
    const o = direct ? at : A + SCR;
    const src = A + POOL + (slot * 2 + dir) * STRIDE;
    mem.copyWithin(o, src, src + hl);

    const ip = o + ETH;
    const t = ip + l3len;
    const id = (st[b + ID0 + dir]! + 1) & 0xffff;
    st[b + ID0 + dir] = id;
    if (!v6) {
      put16(mem, ip + 2, l3len + l4len);
      put16(mem, ip + 4, id);
      put16(mem, ip + 10, fold(wordsSum(mem, ip, ip + 20))); // the template's checksum field is 0
    } else {
      put16(mem, ip + 4, l4len);
      ipv6Packets++;
    }
    if (tcp) {
      const sq = st[b + SEQ0 + dir]! >>> 0;
      put32(mem, t + 4, sq);
      put32(mem, t + 8, flags & 0x10 ? st[b + SEQ1 - dir]! >>> 0 : 0);
      mem[t + 13] = flags;
      st[b + SEQ0 + dir] = (sq + pay + (flags & 0x03 ? 1 : 0)) | 0;
      put16(mem, t + 16, fold(st[b + PSEUDO]! + l4len + wordsSum(mem, t, t + 20) + PATTERN_SUM[pay]!));
    } else {
      put16(mem, t + 4, l4len);
      const c = fold(st[b + PSEUDO]! + l4len + wordsSum(mem, t, t + 8) + PATTERN_SUM[pay]!);
      put16(mem, t + 6, c === 0 ? 0xffff : c);
    }
    if (direct) {
      const room = caplen - hl;
      if (room > 0) {
        const p = pay < room ? pay : room;
        if (p > 0) mem.copyWithin(at + hl, A, A + p);
        if (room > p) mem.fill(0, at + hl + p, at + caplen); // Ethernet padding
      }
    } else {
      mem.copyWithin(at, o, o + caplen);
    }
    ipBytes += l3len + l4len;
    wireBytes += wire;
    st[b + SENT] = n + 1;
    st[b + LEFT] = left - 1;
    if (left === 1) {
      if (tcp) closedFlows++;
      newFlow(slot);
    }
  }
  if (touch === 0x7fffffff) prefetchSink++; // keeps the prefetching loads alive
  // Flows created but never sent a packet (replacements of the last flows to
  // finish, first flows never picked) are not on the wire.
  let unsent = 0;
  let tcpUnsent = 0;
  for (let s = 0; s < C; s++) {
    if (st[s * ST + SENT] !== 0) continue;
    unsent++;
    if (st[s * ST + KIND]! & F_TCP) tcpUnsent++;
  }
  w.close();
  const seconds = (performance.now() - t0) / 1000;
  const base = BigInt(startSec) * 1_000_000_000n;
  const wireFlows = flows - unsent;
  return {
    path, packets: total, flows: wireFlows, closedFlows, tcpFlows: tcpFlows - tcpUnsent, udpFlows: wireFlows - (tcpFlows - tcpUnsent),
    ipv6Packets, ipBytes, wireBytes, captureBytes: w.captureBytes, fileBytes: w.fileBytes,
    firstTsNs: base, lastTsNs: base + BigInt(lastNs), seconds, packetsPerSecond: total / seconds,
  };
}

/**
 * A SYN flood: nearly every packet a bare SYN (60-octet frame) from a new
 * source (the address a bijection of the SYN's index, so all distinct; the
 * port random) to the victim; a `replyShare` of packets are the victim's
 * SYN-ACK to the SYN just before (that flow then has 2 packets).
 */
export function writeBenchFlood(path: string, opts: BenchFloodOptions = {}): BenchSummary {
  const t0 = performance.now();
  const total = opts.packets ?? 5_000_000;
  const rng = new Prng(opts.seed ?? 1);
  const nsPerPacket = 1e9 / (opts.rate ?? 1_000_000);
  const startSec = opts.startSec ?? 1_700_000_000;
  const replyShare = opts.replyShare ?? 0.02;
  const ports = opts.ports ?? [80, 443];
  const vp = (opts.victim ?? '192.0.2.80').split('.').map(Number);
  const victim = (((vp[0] ?? 0) << 24) | ((vp[1] ?? 0) << 16) | ((vp[2] ?? 0) << 8) | (vp[3] ?? 0)) >>> 0;
  const salt = mix32(opts.seed ?? 1);
  // Arena: SYN template at 0, SYN-ACK template at 64, scratch frame at 128.
  const { w, ns, snaplen } = openWriter(path, opts, 192, 54);
  const mem = w.mem;
  const A = w.arenaOffset;
  const arena = w.arena;
  for (const [at, fromClient] of [[0, true], [64, false]] as const) {
    writeEthernet(arena, at, false, fromClient, 0x5f00d);
    arena[at + 14] = 0x45;
    put16(arena, at + 16, 40);
    arena[at + 23] = 6;
    arena[at + 46] = 0x50;
    put16(arena, at + 48, fromClient ? 1024 : 29200);
  }

  let flows = 0;
  let lastSrc = 0;
  let lastSport = 0;
  let lastDport = 0;
  let lastSeq = 0;
  let lastWasSyn = false;
  let lastNs = 0;
  const caplen = 60 < snaplen ? 60 : snaplen;
  const direct = caplen === 60;
  for (let i = 0; i < total; i++) {
    const reply = lastWasSyn && rng.float() < replyShare;
    const tNs = Math.round(i * nsPerPacket);
    const rem = tNs % 1e9;
    lastNs = tNs;
    const at = w.reserve(startSec + (tNs - rem) / 1e9, ns ? rem : Math.floor(rem / 1000), caplen, 60);
    const o = direct ? at : A + 128;
    mem.copyWithin(o, A + (reply ? 64 : 0), A + (reply ? 64 : 0) + 60); // 54 header octets + 6 of zero padding
    let src: number;
    let dst: number;
    let sport: number;
    let dport: number;
    let seqNo: number;
    let ackNo: number;
    if (!reply) {
      src = mix32((flows ^ salt) >>> 0);
      dst = victim;
      sport = rng.int(1024, 65535);
      dport = ports[Math.floor(rng.float() * ports.length)] ?? 80;
      seqNo = rng.u32();
      ackNo = 0;
      flows++;
      lastSrc = src;
      lastSport = sport;
      lastDport = dport;
      lastSeq = seqNo;
      lastWasSyn = true;
    } else {
      src = victim;
      dst = lastSrc;
      sport = lastDport;
      dport = lastSport;
      seqNo = rng.u32();
      ackNo = (lastSeq + 1) >>> 0;
      lastWasSyn = false;
    }
    const ip = o + 14;
    const r = rng.u32();
    put16(mem, ip + 4, r & 0xffff);
    mem[ip + 8] = reply ? 64 : 32 + ((r >>> 16) & 0x3f);
    put32(mem, ip + 12, src);
    put32(mem, ip + 16, dst);
    put16(mem, ip + 10, fold(wordsSum(mem, ip, ip + 20)));
    const t = ip + 20;
    put16(mem, t, sport);
    put16(mem, t + 2, dport);
    put32(mem, t + 4, seqNo);
    put32(mem, t + 8, ackNo);
    mem[t + 13] = reply ? 0x12 : 0x02;
    put16(mem, t + 16, fold(wordsSum(mem, ip + 12, ip + 20) + 6 + 20 + wordsSum(mem, t, t + 20)));
    if (!direct) mem.copyWithin(at, o, o + caplen);
  }
  w.close();
  const seconds = (performance.now() - t0) / 1000;
  const base = BigInt(startSec) * 1_000_000_000n;
  return {
    path, packets: total, flows, closedFlows: 0, tcpFlows: flows, udpFlows: 0, ipv6Packets: 0, ipBytes: total * 40, wireBytes: total * 60,
    captureBytes: w.captureBytes, fileBytes: w.fileBytes, firstTsNs: base, lastTsNs: base + BigInt(lastNs), seconds, packetsPerSecond: total / seconds,
  };
}
