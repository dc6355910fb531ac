// The agent's copy of the identity map (identity-value.ts): for an address and a time, the
// identity valid then, as the JSON text a flow record's `src`/`dst` carries. Each entry's JSON is
// made once when the entry arrives, with the two fragments the enricher copies into a record. An
// address that no entry covers is `unknown` inside the cluster's ranges and `external` outside them:
// IPv4 by comparing the address's 32 bits with each range, IPv6 by node's BlockList, remembered.
//
// The enricher looks addresses up straight from a record's bytes (fragmentsAt): IPv4 by its 32 bits
// in an open-addressing table of typed arrays (no string, no heap number, one probe mostly), IPv6
// by a hash of its text's bytes. A V8 Map<number> of 100k addresses cost about 300 ns a lookup here.
import { BlockList, isIPv4 } from 'node:net';

import { addressKey, type ClusterRanges, type IdentityValue } from './identity-value.js';

/** One identity as the enricher appends it to a record without its closing brace: `,"src":{…}` and `,"dst":{…}}`, encoded once. */
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
  return { json, src: Buffer.from(`,"src":${json}`), dst: Buffer.from(`,"dst":${json}}`) };
}

const EXTERNAL = fragments('{"kind":"external"}');
const UNKNOWN = fragments('{"kind":"unknown"}');
const MAX_REMEMBERED = 65_536;

/**
 * Unsigned 32-bit keys to values, open addressing with linear probing (deletion shifts back, no
 * tombstones): a slot is empty when its value is undefined.
 */
class U32Table<V> {
  private keys = new Uint32Array(16);
  private vals: Array<V | undefined> = new Array<V | undefined>(16).fill(undefined);
  private mask = 15;
  private n = 0;

  private slot(k: number): number {
    return (Math.imul(k, 0x9e3779b1) >>> 0) & this.mask;
  }

  get(k: number): V | undefined {
    const keys = this.keys;
    const vals = this.vals;
    const mask = this.mask;
    for (let i = this.slot(k); ; i = (i + 1) & mask) {
      const v = vals[i];
      if (v === undefined || keys[i] === k) return v;
    }
  }

  set(k: number, v: V): void {
    if ((this.n + 1) * 2 > this.mask + 1) this.grow();
    const mask = this.mask;
    for (let i = this.slot(k); ; i = (i + 1) & mask) {
      if (this.vals[i] === undefined) {
        this.keys[i] = k;
        this.vals[i] = v;
        this.n++;
        return;
      }
      if (this.keys[i] === k) {
        this.vals[i] = v;
        return;
      }
    }
  }

  delete(k: number): void {
    const mask = this.mask;
    let i = this.slot(k);
    for (; ; i = (i + 1) & mask) {
      if (this.vals[i] === undefined) return;
      if (this.keys[i] === k) break;
    }
    // shift back the entries after i whose home is at or before i (cyclically)
    for (let j = (i + 1) & mask; this.vals[j] !== undefined; j = (j + 1) & mask) {
      const home = this.slot(this.keys[j]!);
      if (((j - home) & mask) >= ((j - i) & mask)) {
        this.keys[i] = this.keys[j]!;
        this.vals[i] = this.vals[j];
        i = j;
      }
    }
    this.vals[i] = undefined;
    this.n--;
  }

  private grow(): void {
    const { keys, vals } = this;
    const size = (this.mask + 1) * 2;
    this.keys = new Uint32Array(size);
    this.vals = new Array<V | undefined>(size).fill(undefined);
    this.mask = size - 1;
    this.n = 0;
    for (let i = 0; i < keys.length; i++) if (vals[i] !== undefined) this.set(keys[i]!, vals[i]!);
  }
}

/** Addresses as text (their latin1 bytes) to values, looked up from a slice of a buffer without making a string. */
class TextTable<V> {
  private keys: Array<Buffer | undefined> = new Array<Buffer | undefined>(16).fill(undefined);
  private hashes = new Uint32Array(16);
  private vals: Array<V | undefined> = new Array<V | undefined>(16).fill(undefined);
  private mask = 15;
  private n = 0;

  get size(): number {
    return this.n;
  }

  get(b: Buffer, from: number, to: number): V | undefined {
    const h = hashBytes(b, from, to);
    const mask = this.mask;
    const len = to - from;
    for (let i = h & mask; ; i = (i + 1) & mask) {
      const k = this.keys[i];
      if (k === undefined) return undefined;
      if (this.hashes[i] === h && k.length === len && sameBytes(k, b, from, len)) return this.vals[i];
    }
  }

  set(text: string, v: V): void {
    if ((this.n + 1) * 2 > this.mask + 1) this.grow();
    const k = Buffer.from(text, 'latin1');
    const i = this.find(k);
    if (this.keys[i] === undefined) this.n++;
    this.keys[i] = k;
    this.hashes[i] = hashBytes(k, 0, k.length);
    this.vals[i] = v;
  }

  delete(text: string): void {
    const k = Buffer.from(text, 'latin1');
    const mask = this.mask;
    let i = this.find(k);
    if (this.keys[i] === undefined) return;
    for (let j = (i + 1) & mask; this.keys[j] !== undefined; j = (j + 1) & mask) {
      const home = this.hashes[j]! & mask;
      if (((j - home) & mask) >= ((j - i) & mask)) {
        this.keys[i] = this.keys[j];
        this.hashes[i] = this.hashes[j]!;
        this.vals[i] = this.vals[j];
        i = j;
      }
    }
    this.keys[i] = undefined;
    this.vals[i] = undefined;
    this.n--;
  }

  clear(): void {
    this.keys.fill(undefined);
    this.vals.fill(undefined);
    this.n = 0;
  }

  /** The slot of k, or the empty slot where it would go. */
  private find(k: Buffer): number {
    const h = hashBytes(k, 0, k.length);
    const mask = this.mask;
    for (let i = h & mask; ; i = (i + 1) & mask) {
      const s = this.keys[i];
      if (s === undefined || (this.hashes[i] === h && s.equals(k))) return i;
    }
  }

  private grow(): void {
    const { keys, vals } = this;
    const size = (this.mask + 1) * 2;
    this.keys = new Array<Buffer | undefined>(size).fill(undefined);
    this.hashes = new Uint32Array(size);
    this.vals = new Array<V | undefined>(size).fill(undefined);
    this.mask = size - 1;
    this.n = 0;
    for (let i = 0; i < keys.length; i++) if (keys[i] !== undefined) this.set(keys[i]!.toString('latin1'), vals[i]!);
  }
}

/** FNV-1a of b[from, to), finished with a multiply so that the low bits (the slot) mix. */
function hashBytes(b: Buffer, from: number, to: number): number {
  let h = 0x811c9dc5;
  for (let i = from; i < to; i++) h = Math.imul(h ^ b[i]!, 0x01000193);
  return Math.imul(h ^ (h >>> 15), 0x2c1b3c6d) >>> 0;
}

function sameBytes(k: Buffer, b: Buffer, from: number, len: number): boolean {
  for (let i = 0; i < len; i++) if (k[i] !== b[from + i]) return false;
  return true;
}

export class IdentityMap {
  private readonly byAddress = new Map<string, Window[]>();
  /** The IPv4 addresses of byAddress again, by their 32 bits; the IPv6 ones by their text's bytes. */
  private readonly byIpv4 = new U32Table<Window[]>();
  private readonly byIpv6 = new TextTable<Window[]>();
  private ranges = new BlockList();
  /** IPv4 ranges as [network, mask] pairs of unsigned 32-bit numbers. */
  private ranges4: Array<[number, number]> = [];
  /** IPv6 addresses without entries: whether they fall in a cluster range (cleared when ranges change). */
  private readonly outside = new TextTable<Fragments>();

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
    else this.byIpv6.set(value.ip, windows);
  }

  /** The KV keys of the addresses held. */
  *addressKeys(): Iterable<string> {
    for (const a of this.byAddress.keys()) yield addressKey(a);
  }

  delete(address: string): void {
    this.byAddress.delete(address);
    const v4 = ipv4Number(address);
    if (v4 >= 0) this.byIpv4.delete(v4);
    else this.byIpv6.delete(address);
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
    const text = Buffer.from(address, 'latin1');
    return this.fragmentsAt(text, 0, text.length, atMs);
  }

  /** The same for the address written in b[from, to) (the enricher's path: no string made for IPv4 nor for an IPv6 address seen before). */
  fragmentsAt(b: Buffer, from: number, to: number, atMs: number): Fragments {
    const v4 = ipv4At(b, from, to);
    if (v4 >= 0) return valid(this.byIpv4.get(v4), atMs) ?? this.outsideIpv4(v4);
    return valid(this.byIpv6.get(b, from, to), atMs) ?? this.outsideIpv6(b, from, to);
  }

  private outsideIpv4(v4: number): Fragments {
    const r = this.ranges4;
    for (let i = 0; i < r.length; i++) if (((v4 & r[i]![1]) >>> 0) === r[i]![0]) return UNKNOWN;
    return EXTERNAL;
  }

  private outsideIpv6(b: Buffer, from: number, to: number): Fragments {
    let kind = this.outside.get(b, from, to);
    if (kind === undefined) {
      const address = b.toString('latin1', from, to);
      kind = this.ranges.check(address, 'ipv6') ? UNKNOWN : EXTERNAL;
      if (this.outside.size >= MAX_REMEMBERED) this.outside.clear();
      this.outside.set(address, kind);
    }
    return kind;
  }
}

/** The latest window that started at or before t and is still valid at t. */
function valid(windows: Window[] | undefined, atMs: number): Window | undefined {
  if (windows === undefined) return undefined;
  for (let i = windows.length - 1; i >= 0; i--) {
    const w = windows[i]!;
    if (w.since <= atMs && atMs < w.until) return w;
  }
  return undefined;
}

/** A dotted-quad IPv4 address in b[from, to) as its 32 bits; -1 for anything else (IPv6). */
export function ipv4At(b: Uint8Array, from: number, to: number): number {
  let n = 0;
  let part = 0;
  let digits = 0;
  let dots = 0;
  for (let i = from; i < to; i++) {
    const c = b[i]!;
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

/** A dotted-quad IPv4 address as an unsigned 32-bit number; -1 for anything else. */
export function ipv4Number(a: string): number {
  const b = Buffer.from(a, 'latin1');
  return ipv4At(b, 0, b.length);
}
