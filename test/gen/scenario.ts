// Scenarios -> a time-ordered capture whose frames carry what the engine's
// parser will extract from them (FrameMeta), so flow-model.ts can compute the
// exact records the engine must export.
//
// A Scenario is a list of packets with times in seconds from the capture's
// start; buildCapture() merges any number of them, turns every packet into its
// frame (or the frames of its fragments), quantizes the timestamps to the
// capture's precision (so the model sees the times the engine will read) and
// sorts by time (stable: packets at the same time keep their scenario order).
import { icmpPortEquivalents } from './community-id.js';
import { parseIp } from './ip-addr.js';
import {
  buildDatagram, buildFragments, encapsulate, isV6, LINKTYPE_ETHERNET, LINKTYPE_RAW, protoNumber,
  type Datagram, type PacketSpec,
} from './packets.js';
import { type CaptureFrame } from './capture-writer.js';
import { NS_PER_SEC, precisionDigits, quantize, secondsToNs, type TsPrecision } from './time.js';

export interface FragmentPlan {
  /** Transport octets per fragment (a multiple of 8, at least the transport header). */
  size: number;
  /** IPv4 identification / IPv6 fragment identification. */
  id: number;
  /** Indexes of the fragments to put in the capture (default: all). Leave out 0 for orphans. */
  emit?: readonly number[];
  /** Seconds between consecutive fragments (default 10 us). */
  gap?: number;
}

export interface ScenarioPacket {
  /** Seconds from the capture's start. */
  t: number;
  spec: PacketSpec;
  /** Link type of this packet's frame (default: the capture's). Mixing needs pcapng. */
  linktype?: number;
  fragment?: FragmentPlan;
}

export interface Scenario {
  name: string;
  packets: ScenarioPacket[];
}

/** What the engine's parser extracts from a frame (before the fragment table and the flow key). */
export interface FrameMeta {
  scenario: string;
  version: 4 | 6;
  src: Uint8Array;
  dst: Uint8Array;
  /** IANA protocol of the transport (after any IPv6 extension headers). */
  proto: number;
  /** Outermost VLAN ID, null when untagged (always null on raw IP). */
  vlan: number | null;
  /** IP-layer octets: IPv4 total length, IPv6 40 + payload length. */
  ipBytes: number;
  tcpFlags: number;
  /** Transport ports (ICMP: port equivalents of type/code); null for a non-first fragment. */
  ports: { sport: number; dport: number } | null;
  fragment: { id: number; first: boolean } | null;
  /** The fewest captured octets with which the parser still accepts the frame. */
  minCaplen: number;
}

export interface ScenarioFrame extends CaptureFrame {
  meta: FrameMeta;
}

export interface Capture {
  /** Time-ordered. */
  frames: ScenarioFrame[];
  precision: TsPrecision;
  /** Frames are cut to this many octets when written (undefined: not cut). */
  snaplen?: number | undefined;
  /** The capture's time zero (ns since the epoch). */
  startNs: bigint;
  scenarios: string[];
}

export interface BuildOptions {
  /** Default 'us' (classic pcap). */
  precision?: TsPrecision;
  snaplen?: number;
  /** Link type of packets that name none. Default Ethernet. */
  linktype?: number;
  /** Capture time zero, seconds since the epoch. Default 1_700_000_000 (2023-11-14T22:13:20Z). */
  startSec?: number;
}

export const DEFAULT_START_SEC = 1_700_000_000;

/** Octets of transport header the parser requires (transport.cc). */
export function transportMinimum(proto: number): number {
  switch (proto) {
    case 6: return 20;
    case 17: return 8;
    case 132: return 12;
    case 1:
    case 58: return 4;
    default: return 0;
  }
}

function portsOf(spec: PacketSpec, proto: number): { sport: number; dport: number } {
  const l4 = spec.l4;
  switch (l4.kind) {
    case 'tcp':
    case 'udp':
    case 'sctp':
      return { sport: l4.srcPort, dport: l4.dstPort };
    case 'icmp': {
      const eq = icmpPortEquivalents(proto, l4.type, l4.code);
      return { sport: eq.srcPort, dport: eq.dstPort };
    }
  }
}

function metaFor(scenario: string, spec: PacketSpec, dg: Datagram, l3Offset: number, linktype: number, frag: { id: number } | null): FrameMeta {
  const v6 = isV6(spec);
  const proto = protoNumber(spec.l4, v6);
  const first = dg.l4Offset >= 0;
  let minCaplen: number;
  if (first) {
    minCaplen = l3Offset + dg.l4Offset + transportMinimum(proto);
  } else if (!v6) {
    minCaplen = l3Offset + 20;
  } else {
    const hbh = spec.ip.extHeaders?.includes('hbh') ?? false;
    minCaplen = l3Offset + 40 + (hbh ? 8 : 0) + 8;
  }
  return {
    scenario,
    version: v6 ? 6 : 4,
    src: parseIp(spec.ip.src),
    dst: parseIp(spec.ip.dst),
    proto,
    vlan: linktype === LINKTYPE_RAW ? null : (spec.vlans?.[0]?.vid ?? null),
    ipBytes: dg.bytes.length,
    tcpFlags: first && spec.l4.kind === 'tcp' ? spec.l4.flags & 0xff : 0,
    ports: first ? portsOf(spec, proto) : null,
    fragment: frag ? { id: frag.id, first } : null,
    minCaplen,
  };
}

/** The frames of one scenario packet (several when it is fragmented), untimed. */
export function framesOf(scenario: string, p: ScenarioPacket, defaultLinktype: number): Array<{ data: Uint8Array; linktype: number; meta: FrameMeta; index: number }> {
  const linktype = p.linktype ?? defaultLinktype;
  if (!p.fragment) {
    const dg = buildDatagram(p.spec);
    const fr = encapsulate(dg, p.spec, linktype);
    return [{ data: fr.bytes, linktype, meta: metaFor(scenario, p.spec, dg, fr.l3Offset, linktype, null), index: 0 }];
  }
  const pieces = buildFragments(p.spec, p.fragment.size, p.fragment.id);
  const emit = p.fragment.emit ?? pieces.map((_, i) => i);
  return emit.map((i) => {
    const dg = pieces[i];
    if (dg === undefined) throw new RangeError(`${scenario}: fragment ${i} of ${pieces.length} does not exist`);
    const fr = encapsulate(dg, p.spec, linktype);
    return { data: fr.bytes, linktype, meta: metaFor(scenario, p.spec, dg, fr.l3Offset, linktype, { id: p.fragment?.id ?? 0 }), index: i };
  });
}

/** Merges scenarios into one time-ordered capture. */
export function buildCapture(scenarios: Scenario | readonly Scenario[], opts: BuildOptions = {}): Capture {
  const list = Array.isArray(scenarios) ? (scenarios as readonly Scenario[]) : [scenarios as Scenario];
  const precision = opts.precision ?? 'us';
  const startNs = BigInt(opts.startSec ?? DEFAULT_START_SEC) * NS_PER_SEC;
  const linktype = opts.linktype ?? LINKTYPE_ETHERNET;
  const frames: ScenarioFrame[] = [];
  for (const sc of list) {
    for (const p of sc.packets) {
      if (p.t < 0) throw new RangeError(`${sc.name}: packet time ${p.t} before the capture start`);
      const gap = p.fragment?.gap ?? 10e-6;
      for (const f of framesOf(sc.name, p, linktype)) {
        const ts = quantize(startNs + secondsToNs(p.t + f.index * gap), precision);
        frames.push({ ts, linktype: f.linktype, data: f.data, meta: f.meta });
      }
    }
  }
  frames.sort((a, b) => (a.ts < b.ts ? -1 : a.ts > b.ts ? 1 : 0));
  return { frames, precision, snaplen: opts.snaplen, startNs, scenarios: list.map((s) => s.name) };
}

/** The captured length of a frame under the capture's snaplen. */
export function caplenOf(capture: Capture, frame: CaptureFrame): number {
  return capture.snaplen === undefined ? frame.data.length : Math.min(frame.data.length, capture.snaplen);
}

/** Sub-second digits the engine prints for this capture's timestamps. */
export function captureDigits(capture: Capture): number {
  return precisionDigits(capture.precision);
}
