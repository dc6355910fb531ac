// The agent's copy of the identity map (identity-value.ts): for an address and a time, the
// identity valid then, as the JSON text a flow record's `src`/`dst` carries. Each entry's JSON is
// made once when the entry arrives; an address that no entry covers is `unknown` inside the
// cluster's ranges and `external` outside them: IPv4 by comparing the address's 32 bits with each
// range (no allocation: most addresses a node talks to outside the cluster are IPv4 and many), IPv6
// by node's BlockList, remembered.
import { BlockList, isIPv4 } from 'node:net';

import { addressKey, type ClusterRanges, type IdentityValue } from './identity-value.js';

/** One identity as the enricher appends it: `,"src":{…}` and `,"dst":{…}}\n`, encoded once. */
export interface Fragments {
  json: string;
  src: Buffer;
  dst: Buffer;
}

interface Window extends Fragments {
  since: number;
  until: number;
}

function fragments(json: string): Fragments {
  return { json, src: Buffer.from(`,"src":${json}`), dst: Buffer.from(`,"dst":${json}}\n`) };
}

const EXTERNAL = fragments('{"kind":"external"}');
const UNKNOWN = fragments('{"kind":"unknown"}');
const MAX_REMEMBERED = 65_536;

export class IdentityMap {
  private readonly byAddress = new Map<string, Window[]>();
  /** The IPv4 addresses of byAddress again, by their 32 bits: the enricher looks them up without making a string. */
  private readonly byIpv4 = new Map<number, Window[]>();
  private ranges = new BlockList();
  /** IPv4 ranges as [network, mask] pairs of unsigned 32-bit numbers. */
  private ranges4: Array<[number, number]> = [];
  /** Addresses without entries: whether they fall in a cluster range (cleared when ranges change). */
  private readonly outside = new Map<string, Fragments>();

  get size(): number {
    return this.byAddress.size;
  }

  /** Replaces what is known of one address. */
  set(value: IdentityValue): void {
    const windows = value.entries
      .map((e) => ({ since: e.since, until: e.until ?? Infinity, ...fragments(JSON.stringify(e.id)) }))
      .sort((a, b) => a.since - b.since);
    this.byAddress.set(value.ip, windows);
    const v4 = ipv4Number(value.ip);
    if (v4 >= 0) this.byIpv4.set(v4, windows);
  }

  /** The KV keys of the addresses held. */
  *addressKeys(): Iterable<string> {
    for (const a of this.byAddress.keys()) yield addressKey(a);
  }

  delete(address: string): void {
    this.byAddress.delete(address);
    const v4 = ipv4Number(address);
    if (v4 >= 0) this.byIpv4.delete(v4);
  }

  setRanges(r: ClusterRanges): void {
    const b = new BlockList();
    const r4: Array<[number, number]> = [];
    for (const cidr of [...r.pods, ...r.services]) {
      const [net, bits] = cidr.split('/') as [string, string];
      if (isIPv4(net)) {
        const mask = Number(bits) === 0 ? 0 : (0xffffffff << (32 - Number(bits))) >>> 0;
        r4.push([(ipv4Number(net) & mask) >>> 0, mask]);
      } else b.addSubnet(net, Number(bits), 'ipv6');
    }
    this.ranges = b;
    this.ranges4 = r4;
    this.outside.clear();
  }

  /** The JSON of the identity `address` had at `atMs`. */
  resolve(address: string, atMs: number): string {
    return this.fragments(address, atMs).json;
  }

  /** The same, encoded for the enricher. */
  fragments(address: string, atMs: number): Fragments {
    return valid(this.byAddress.get(address), atMs) ?? this.outsideKind(address);
  }

  /** The same for an IPv4 address given by its 32 bits (the enricher's fast path). */
  fragmentsIpv4(v4: number, atMs: number): Fragments {
    return valid(this.byIpv4.get(v4), atMs) ?? this.outsideIpv4(v4);
  }

  private outsideIpv4(v4: number): Fragments {
    for (const [net, mask] of this.ranges4) if (((v4 & mask) >>> 0) === net) return UNKNOWN;
    return EXTERNAL;
  }

  private outsideKind(address: string): Fragments {
    const v4 = ipv4Number(address);
    if (v4 >= 0) return this.outsideIpv4(v4);
    let kind = this.outside.get(address);
    if (kind === undefined) {
      const inCluster = this.ranges.check(address, 'ipv6');
      kind = inCluster ? UNKNOWN : EXTERNAL;
      if (this.outside.size >= MAX_REMEMBERED) this.outside.clear();
      this.outside.set(address, kind);
    }
    return kind;
  }
}

/** The latest window that started at or before t and is still valid at t. */
function valid(windows: Window[] | undefined, atMs: number): Window | undefined {
  if (!windows) return undefined;
  for (let i = windows.length - 1; i >= 0; i--) {
    const w = windows[i]!;
    if (w.since <= atMs && atMs < w.until) return w;
  }
  return undefined;
}

/** A dotted-quad IPv4 address as an unsigned 32-bit number; -1 for anything else. */
export function ipv4Number(a: string): number {
  let n = 0;
  let part = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < a.length; i++) {
    const c = a.charCodeAt(i);
    if (c === 0x2e) {
      if (digits === 0 || part > 255 || ++dots > 3) return -1;
      n = n * 256 + part;
      part = 0;
      digits = 0;
    } else if (c >= 0x30 && c <= 0x39 && digits < 3) {
      part = part * 10 + (c - 0x30);
      digits++;
    } else return -1;
  }
  if (dots !== 3 || digits === 0 || part > 255) return -1;
  return n * 256 + part;
}
