// A reference model of the engine's flow semantics: from a Capture (frames and
// what the parser extracts from each) to the exact flow records the engine
// must export. It follows native/src/parse (ip.cc, parser.cc, transport.cc,
// fragment_table.cc) and native/src/flow (flow_table.cc, flow_expiry.cc,
// record_json.cc, community_id.cc):
//
//  - key: (IP version, VLAN, proto, the two (address, port) ends ordered by
//    address then port; a sender whose (address, port) sorts first or equal is
//    side A). ICMP ports are the port equivalents (type, counterpart or code).
//  - a record's src is its initiator: the sender of the record's first packet.
//  - per packet of an existing flow, in this order:
//      closed (FIN both ways or RST): a fresh SYN (SYN without ACK), or a
//        packet more than `linger` after the close, ends it (fin/rst) and
//        starts a new flow with this packet; anything else joins it.
//      open: a packet more than `idle` after the flow's last ends it (idle)
//        and starts a new one with this packet (its sender the initiator);
//        else a packet more than `active` after the flow's first exports it
//        (active) and the flow goes on from this packet with fresh counters,
//        keeping its initiator and the FINs seen (FIN both ways then closes).
//  - TCP state (open flows only): RST closes (rst); FIN marks its side; FIN
//    from both sides closes (fin). The close time is that packet's time.
//  - at the end of the input (the last frame's time, any frame): a closed flow
//    ends fin/rst, a flow quiet for more than `idle` ends idle, others eof.
//  - the timer wheel exports flows whose deadline passed; on a time-ordered
//    capture that gives the same records as the checks above, so the model
//    has no wheel.
//  - non-first fragments take the ports of their datagram's first fragment
//    (same src, dst, proto, IP ID) when it was seen within 30 s, else 0/0.
//  - frames shorter (after snaplen) than the headers the parser needs are
//    malformed: counted by the parser, in no flow.
// Not modelled: flow-table eviction (size the table above the capture's
// concurrent flows), fragment-table eviction (1024 x 4 entries), out-of-order
// timestamps.
import { TCP_ACK, TCP_FIN, TCP_RST, TCP_SYN } from './headers.js';
import { communityId } from './community-id.js';
import { compareAddrBytes, formatIp } from './ip-addr.js';
import { type FrameMeta } from './scenario.js';
import { formatRfc3339, precisionDigits, secondsToNs, type TsPrecision } from './time.js';

export type EndReason = 'idle' | 'active' | 'fin' | 'rst' | 'evicted' | 'eof' | 'shutdown';

/** The engine's flow record contract (one JSON object per flow). */
export interface FlowRecordJson {
  srcAddr: string;
  dstAddr: string;
  srcPort: number;
  dstPort: number;
  proto: number;
  ipVersion: 4 | 6;
  vlan: number | null;
  packets: number;
  bytes: number;
  revPackets: number;
  revBytes: number;
  tcpFlags: number;
  revTcpFlags: number;
  start: string;
  end: string;
  endReason: EndReason;
  communityId: string;
}

export const RECORD_FIELDS: ReadonlyArray<keyof FlowRecordJson> = [
  'srcAddr', 'dstAddr', 'srcPort', 'dstPort', 'proto', 'ipVersion', 'vlan', 'packets', 'bytes', 'revPackets', 'revBytes',
  'tcpFlags', 'revTcpFlags', 'start', 'end', 'endReason', 'communityId',
];

export interface FlowTimeouts {
  /** Default 15. */
  idleSec?: number;
  /** Default 1800. */
  activeSec?: number;
  /** Default 2 (trailing packets after FIN+FIN or RST join the closed flow). */
  lingerSec?: number;
  /** Parser's fragment timeout. Default 30. */
  fragmentSec?: number;
}

export const DEFAULT_TIMEOUTS: Required<FlowTimeouts> = { idleSec: 15, activeSec: 1800, lingerSec: 2, fragmentSec: 30 };

/** One frame as the model sees it: a Capture's ScenarioFrame, or a decoded file's frame. */
export interface ModelFrame {
  ts: bigint;
  data: Uint8Array;
  /** What the parser extracts; null when it rejects the frame (still counts for the end-of-input time). */
  meta: FrameMeta | null;
  /** Sub-second digits of this frame's clock (default: the capture's precision). */
  digits?: number | undefined;
}

/** The model's input: a Capture from buildCapture(), or captureFromFile(). */
export interface ModelCapture {
  frames: readonly ModelFrame[];
  precision: TsPrecision;
  /** Frames are cut to this when written (their meta.minCaplen then decides whether the parser accepts them). */
  snaplen?: number | undefined;
}

export interface ExpectedFlow {
  record: FlowRecordJson;
  /** Name of the scenario whose packet started the flow. */
  scenario: string;
}

const ST_FIN_A = 1;
const ST_FIN_B = 2;
const ST_CLOSED_FIN = 4;
const ST_CLOSED_RST = 8;

interface Flow {
  version: 4 | 6;
  vlan: number | null;
  proto: number;
  addr: [Uint8Array, Uint8Array];
  port: [number, number];
  first: bigint;
  last: bigint;
  packets: [number, number];
  bytes: [number, number];
  flags: [number, number];
  initiator: 0 | 1;
  state: number;
  close: bigint;
  digits: number;
  scenario: string;
}

interface Packet {
  ts: bigint;
  digits: number;
  meta: FrameMeta;
  sport: number;
  dport: number;
}

function canonical(p: Packet): { key: string; side: 0 | 1; addr: [Uint8Array, Uint8Array]; port: [number, number] } {
  const m = p.meta;
  const c = compareAddrBytes(m.src, m.dst);
  const srcIsA = c < 0 || (c === 0 && p.sport <= p.dport);
  const addr: [Uint8Array, Uint8Array] = srcIsA ? [m.src, m.dst] : [m.dst, m.src];
  const port: [number, number] = srcIsA ? [p.sport, p.dport] : [p.dport, p.sport];
  const key = `${m.version}|${m.vlan ?? '-'}|${m.proto}|${formatIp(addr[0])}|${port[0]}|${formatIp(addr[1])}|${port[1]}`;
  return { key, side: srcIsA ? 0 : 1, addr, port };
}

function startFlow(p: Packet, side: 0 | 1, addr: [Uint8Array, Uint8Array], port: [number, number]): Flow {
  const f: Flow = {
    version: p.meta.version, vlan: p.meta.vlan, proto: p.meta.proto, addr, port,
    first: p.ts, last: p.ts, packets: [0, 0], bytes: [0, 0], flags: [0, 0],
    initiator: side, state: 0, close: 0n, digits: p.digits, scenario: p.meta.scenario,
  };
  f.packets[side] = 1;
  f.bytes[side] = p.meta.ipBytes;
  f.flags[side] = p.meta.tcpFlags;
  if (f.proto === 6) {
    if (p.meta.tcpFlags & TCP_RST) {
      f.state = ST_CLOSED_RST;
      f.close = p.ts;
    } else if (p.meta.tcpFlags & TCP_FIN) {
      f.state = side === 0 ? ST_FIN_A : ST_FIN_B;
    }
  }
  return f;
}

function toRecord(f: Flow, reason: EndReason): ExpectedFlow {
  const s = f.initiator;
  const d = s === 0 ? 1 : 0;
  const srcAddr = f.addr[s];
  const dstAddr = f.addr[d];
  const srcPort = f.port[s];
  const dstPort = f.port[d];
  return {
    scenario: f.scenario,
    record: {
      srcAddr: formatIp(srcAddr),
      dstAddr: formatIp(dstAddr),
      srcPort,
      dstPort,
      proto: f.proto,
      ipVersion: f.version,
      vlan: f.vlan,
      packets: f.packets[s],
      bytes: f.bytes[s],
      revPackets: f.packets[d],
      revBytes: f.bytes[d],
      tcpFlags: f.flags[s],
      revTcpFlags: f.flags[d],
      start: formatRfc3339(f.first, f.digits),
      end: formatRfc3339(f.last, f.digits),
      endReason: reason,
      communityId: communityId({ src: srcAddr, dst: dstAddr, proto: f.proto, srcPort, dstPort }, 0, true),
    },
  };
}

/**
 * The records the engine exports for `capture` under `timeouts`, with the
 * scenario each came from, sorted by compareRecords.
 */
export function expectFlowsDetailed(capture: ModelCapture, timeouts: FlowTimeouts = {}): ExpectedFlow[] {
  const t = { ...DEFAULT_TIMEOUTS, ...timeouts };
  const idle = secondsToNs(t.idleSec);
  const active = secondsToNs(t.activeSec);
  const linger = secondsToNs(t.lingerSec);
  const fragTimeout = secondsToNs(t.fragmentSec);
  const digits = precisionDigits(capture.precision);
  const frags = new Map<string, { ts: bigint; sport: number; dport: number }>();
  const flows = new Map<string, Flow>();
  const out: ExpectedFlow[] = [];
  let lastTs = 0n;

  for (const fr of capture.frames) {
    if (fr.ts > lastTs) lastTs = fr.ts;
    const m = fr.meta;
    if (m === null) continue; // not IP, or malformed: counted by the parser, in no flow
    const caplen = capture.snaplen === undefined ? fr.data.length : Math.min(fr.data.length, capture.snaplen);
    if (caplen < m.minCaplen) continue; // cut by the snaplen inside the headers: malformed
    let sport = 0;
    let dport = 0;
    if (m.ports) {
      sport = m.ports.sport;
      dport = m.ports.dport;
    }
    if (m.fragment) {
      const fk = `${m.version}|${formatIp(m.src)}|${formatIp(m.dst)}|${m.proto}|${m.version === 4 ? m.fragment.id & 0xffff : m.fragment.id >>> 0}`;
      if (m.fragment.first) {
        frags.set(fk, { ts: fr.ts, sport, dport });
      } else {
        const e = frags.get(fk);
        if (e && !(fr.ts > e.ts && fr.ts - e.ts > fragTimeout)) {
          sport = e.sport;
          dport = e.dport;
        } else {
          sport = dport = 0;
        }
      }
    }
    const p: Packet = { ts: fr.ts, digits: fr.digits ?? digits, meta: m, sport, dport };
    const { key, side, addr, port } = canonical(p);
    const f = flows.get(key);
    if (!f) {
      flows.set(key, startFlow(p, side, addr, port));
      continue;
    }
    const closed = (f.state & (ST_CLOSED_FIN | ST_CLOSED_RST)) !== 0;
    let cut: EndReason | null = null;
    if (closed) {
      const freshSyn = (m.tcpFlags & (TCP_SYN | TCP_ACK)) === TCP_SYN;
      if ((p.ts > f.close && p.ts - f.close > linger) || freshSyn) cut = f.state & ST_CLOSED_RST ? 'rst' : 'fin';
    } else if (p.ts > f.last && p.ts - f.last > idle) {
      cut = 'idle';
    } else if (p.ts > f.first && p.ts - f.first > active) {
      cut = 'active';
    }
    if (cut) {
      out.push(toRecord(f, cut));
      const g = startFlow(p, side, addr, port);
      if (cut === 'active') {
        // The same connection goes on: it keeps its initiator and the FINs seen so far.
        g.initiator = f.initiator;
        g.state |= f.state & (ST_FIN_A | ST_FIN_B);
        if (!(g.state & ST_CLOSED_RST) && (g.state & (ST_FIN_A | ST_FIN_B)) === (ST_FIN_A | ST_FIN_B)) {
          g.state |= ST_CLOSED_FIN;
          g.close = p.ts;
        }
      }
      flows.set(key, g);
      continue;
    }
    if (p.ts > f.last) f.last = p.ts;
    if (p.ts < f.first) f.first = p.ts;
    f.packets[side] += 1;
    f.bytes[side] += m.ipBytes;
    f.flags[side] |= m.tcpFlags;
    if (f.proto === 6 && !closed) {
      if (m.tcpFlags & TCP_RST) {
        f.state |= ST_CLOSED_RST;
        f.close = p.ts;
      } else if (m.tcpFlags & TCP_FIN) {
        f.state |= side === 0 ? ST_FIN_A : ST_FIN_B;
        if ((f.state & (ST_FIN_A | ST_FIN_B)) === (ST_FIN_A | ST_FIN_B)) {
          f.state |= ST_CLOSED_FIN;
          f.close = p.ts;
        }
      }
    }
  }

  for (const f of flows.values()) {
    let reason: EndReason;
    if (f.state & ST_CLOSED_RST) reason = 'rst';
    else if (f.state & ST_CLOSED_FIN) reason = 'fin';
    else reason = lastTs > f.last + idle ? 'idle' : 'eof';
    out.push(toRecord(f, reason));
  }
  out.sort((a, b) => compareRecords(a.record, b.record));
  return out;
}

/** The records the engine exports for `capture` under `timeouts`, sorted by compareRecords. */
export function expectFlows(capture: ModelCapture, timeouts: FlowTimeouts = {}): FlowRecordJson[] {
  return expectFlowsDetailed(capture, timeouts).map((e) => e.record);
}

function cmp<T extends string | number>(a: T, b: T): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Order-independent comparison: start, srcAddr, srcPort, dstAddr, dstPort, proto, vlan, end. */
export function compareRecords(a: FlowRecordJson, b: FlowRecordJson): number {
  return (
    cmp(a.start, b.start) || cmp(a.srcAddr, b.srcAddr) || cmp(a.srcPort, b.srcPort) || cmp(a.dstAddr, b.dstAddr) ||
    cmp(a.dstPort, b.dstPort) || cmp(a.proto, b.proto) || cmp(a.vlan ?? -1, b.vlan ?? -1) || cmp(a.end, b.end)
  );
}

/** A string that identifies a record within a capture (the fields compareRecords sorts by). */
export function recordKey(r: Pick<FlowRecordJson, 'start' | 'srcAddr' | 'srcPort' | 'dstAddr' | 'dstPort' | 'proto' | 'vlan'>): string {
  return `${r.start} ${r.srcAddr}:${r.srcPort} > ${r.dstAddr}:${r.dstPort} p${r.proto} v${r.vlan ?? '-'}`;
}

/** Keeps exactly the contract's fields (drops e.g. worker ids or extra keys an encoder adds). */
export function pickRecordFields(r: Record<string, unknown>): FlowRecordJson {
  const o: Record<string, unknown> = {};
  for (const k of RECORD_FIELDS) o[k] = r[k];
  return o as unknown as FlowRecordJson;
}

/** Sorts a copy of `records` (engine output, any order) the way expectFlows sorts. */
export function sortRecords<T extends FlowRecordJson>(records: readonly T[]): T[] {
  return [...records].sort(compareRecords);
}

/**
 * Human-readable differences between actual engine records and expected ones
 * (both in any order); [] when they match. Records are paired by recordKey.
 */
export function diffRecords(actual: readonly FlowRecordJson[], expected: readonly FlowRecordJson[]): string[] {
  const problems: string[] = [];
  const byKey = new Map<string, FlowRecordJson[]>();
  for (const r of actual) {
    const k = recordKey(r);
    byKey.set(k, [...(byKey.get(k) ?? []), r]);
  }
  for (const e of sortRecords(expected)) {
    const k = recordKey(e);
    const list = byKey.get(k);
    const a = list?.shift();
    if (!a) {
      problems.push(`missing: ${k} (${e.endReason}, ${e.packets}+${e.revPackets} packets)`);
      continue;
    }
    const fields = RECORD_FIELDS.filter((f) => a[f] !== e[f]);
    if (fields.length > 0) problems.push(`${k}: ${fields.map((f) => `${f} ${JSON.stringify(a[f])} != expected ${JSON.stringify(e[f])}`).join(', ')}`);
  }
  for (const [k, rest] of byKey) for (const r of rest) problems.push(`unexpected: ${k} (${r.endReason}, ${r.packets}+${r.revPackets} packets)`);
  return problems;
}
