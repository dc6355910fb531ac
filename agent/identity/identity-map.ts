// The agent's copy of the identity map (identity-value.ts): for an address and a time, the
// identity valid then, as the JSON text a flow record's `src`/`dst` carries. Each entry's JSON is
// made once when the entry arrives; an address that no entry covers is `unknown` inside the
// cluster's ranges and `external` outside them (decided by node's BlockList and remembered).
import { BlockList, isIPv4 } from 'node:net';

import { addressKey, type ClusterRanges, type IdentityValue } from './identity-value.js';

interface Window {
  since: number;
  until: number;
  json: string;
}

const EXTERNAL = '{"kind":"external"}';
const UNKNOWN = '{"kind":"unknown"}';
const MAX_REMEMBERED = 65_536;

export class IdentityMap {
  private readonly byAddress = new Map<string, Window[]>();
  private ranges = new BlockList();
  /** Addresses without entries: whether they fall in a cluster range (cleared when ranges change). */
  private readonly outside = new Map<string, string>();

  get size(): number {
    return this.byAddress.size;
  }

  /** Replaces what is known of one address. */
  set(value: IdentityValue): void {
    const windows = value.entries
      .map((e) => ({ since: e.since, until: e.until ?? Infinity, json: JSON.stringify(e.id) }))
      .sort((a, b) => a.since - b.since);
    this.byAddress.set(value.ip, windows);
  }

  /** The KV keys of the addresses held. */
  *addressKeys(): Iterable<string> {
    for (const a of this.byAddress.keys()) yield addressKey(a);
  }

  delete(address: string): void {
    this.byAddress.delete(address);
  }

  setRanges(r: ClusterRanges): void {
    const b = new BlockList();
    for (const cidr of [...r.pods, ...r.services]) {
      const [net, bits] = cidr.split('/') as [string, string];
      b.addSubnet(net, Number(bits), isIPv4(net) ? 'ipv4' : 'ipv6');
    }
    this.ranges = b;
    this.outside.clear();
  }

  /** The JSON of the identity `address` had at `atMs`. */
  resolve(address: string, atMs: number): string {
    const windows = this.byAddress.get(address);
    if (windows) {
      // latest since <= t that is still valid at t
      for (let i = windows.length - 1; i >= 0; i--) {
        const w = windows[i]!;
        if (w.since <= atMs && atMs < w.until) return w.json;
      }
    }
    return this.outsideKind(address);
  }

  private outsideKind(address: string): string {
    let kind = this.outside.get(address);
    if (kind === undefined) {
      const inCluster = this.ranges.check(address, isIPv4(address) ? 'ipv4' : 'ipv6');
      kind = inCluster ? UNKNOWN : EXTERNAL;
      if (this.outside.size >= MAX_REMEMBERED) this.outside.clear();
      this.outside.set(address, kind);
    }
    return kind;
  }
}
