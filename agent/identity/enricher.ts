// Adds each end's identity to the engine's JSON-lines records on their way to the stream:
//   {"srcAddr":"a","dstAddr":"b",…,"start":"…",…}  ->  {…,"src":{…},"dst":{…}}
// The engine writes srcAddr first and dstAddr second, so both are found at known places; `start`
// is found by its key. Nothing else of the record is parsed or copied twice.
import type { EnrichmentState } from '../export/flow-batch.js';
import type { IdentityMap } from './identity-map.js';

const SRC_KEY = Buffer.from('{"srcAddr":"');
const DST_KEY = Buffer.from(',"dstAddr":"');
const START_KEY = Buffer.from('"start":"');
const QUOTE = 0x22;
const NEWLINE = 0x0a;

export interface EnrichedBatch {
  data: Buffer;
  state: EnrichmentState;
}

/** A record line the engine would not write. */
export class RecordLayoutError extends Error {
  override readonly name = 'RecordLayoutError';
}

export class FlowEnricher {
  /** Records that went out with identities, and without (map unavailable). */
  enriched = 0;
  unenriched = 0;

  constructor(
    private readonly map: IdentityMap,
    private readonly available: () => boolean,
  ) {}

  /** The batch with `src`/`dst` on every record, or unchanged (state `unavailable`) without a map. */
  enrich(jsonl: Buffer): EnrichedBatch {
    if (!this.available()) {
      this.unenriched += countLines(jsonl);
      return { data: jsonl, state: 'unavailable' };
    }
    // Pass 1 finds each record and its two identities; pass 2 writes the batch once: each record
    // without its closing brace, then the identities' fragments (encoded when they arrived).
    const starts: number[] = [];
    const ends: number[] = [];
    const frags: Buffer[] = [];
    let total = 0;
    let pos = 0;
    while (pos < jsonl.length) {
      let nl = jsonl.indexOf(NEWLINE, pos);
      if (nl < 0) nl = jsonl.length;
      const [src, dst] = this.identities(jsonl, pos, nl);
      starts.push(pos);
      ends.push(nl - 1);
      frags.push(src, dst);
      total += nl - 1 - pos + src.length + dst.length;
      pos = nl + 1;
    }
    const out = Buffer.allocUnsafe(total);
    let at = 0;
    for (let i = 0; i < starts.length; i++) {
      const s = starts[i]!;
      const e = ends[i]!;
      out.set(new Uint8Array(jsonl.buffer, jsonl.byteOffset + s, e - s), at);
      at += e - s;
      const src = frags[2 * i]!;
      const dst = frags[2 * i + 1]!;
      out.set(src, at);
      at += src.length;
      out.set(dst, at);
      at += dst.length;
    }
    this.enriched += starts.length;
    return { data: out, state: 'on' };
  }

  /** The `,"src":…` and `,"dst":…}\n` fragments of the record in b[start, end). */
  private identities(b: Buffer, start: number, end: number): [Buffer, Buffer] {
    if (!hasAt(b, start, SRC_KEY) || b[end - 1] !== 0x7d) {
      throw new RecordLayoutError(`not an engine flow record: ${b.toString('utf8', start, Math.min(end, start + 80))}`);
    }
    const srcFrom = start + SRC_KEY.length;
    const srcTo = quoteAfter(b, srcFrom, end);
    const dstFrom = srcTo + 1 + DST_KEY.length;
    if (srcTo < 0 || !hasAt(b, srcTo + 1, DST_KEY)) throw new RecordLayoutError('record without dstAddr after srcAddr');
    const dstTo = quoteAfter(b, dstFrom, end);
    const startKey = b.indexOf(START_KEY, dstTo);
    if (dstTo < 0 || startKey < 0 || startKey > end) throw new RecordLayoutError('record without start');
    const t = this.time(b, startKey + START_KEY.length);
    return [this.lookup(b, srcFrom, srcTo, t).src, this.lookup(b, dstFrom, dstTo, t).dst];
  }

  /** IPv4 by its 32 bits read from the bytes (no string made); IPv6 by its text. */
  private lookup(b: Buffer, from: number, to: number, t: number) {
    const v4 = ipv4At(b, from, to);
    return v4 >= 0 ? this.map.fragmentsIpv4(v4, t) : this.map.fragments(b.toString('latin1', from, to), t);
  }

  /** ms since the epoch of the engine's `YYYY-MM-DDTHH:MM:SS[.fff…]Z` at `t`: the whole seconds are parsed once per second seen. */
  private time(b: Buffer, t: number): number {
    const last = this.lastSeconds;
    let same = true;
    for (let i = 0; i < 19; i++) {
      if (b[t + i] !== last[i]) {
        same = false;
        break;
      }
    }
    if (!same) {
      b.copy(last, 0, t, t + 19);
      this.lastSecondsMs = Date.parse(`${b.toString('latin1', t, t + 19)}Z`);
    }
    if (Number.isNaN(this.lastSecondsMs)) throw new RecordLayoutError(`record with a start time that is not RFC 3339: ${b.toString('latin1', t, t + 19)}`);
    let ms = 0;
    if (b[t + 19] === 0x2e) {
      for (let i = t + 20, scale = 100; scale >= 1; i++, scale /= 10) {
        const c = b[i]!;
        if (c < 0x30 || c > 0x39) break;
        ms += (c - 0x30) * scale;
      }
    }
    return this.lastSecondsMs + ms;
  }

  private readonly lastSeconds = Buffer.alloc(19);
  private lastSecondsMs = Number.NaN;
}

function hasAt(b: Buffer, at: number, key: Buffer): boolean {
  if (at + key.length > b.length) return false;
  for (let i = 0; i < key.length; i++) if (b[at + i] !== key[i]) return false;
  return true;
}

/** The next `"` in b[from, end) (an address is at most 45 bytes), or -1. */
function quoteAfter(b: Buffer, from: number, end: number): number {
  const stop = Math.min(end, from + 64);
  for (let i = from; i < stop; i++) if (b[i] === QUOTE) return i;
  return -1;
}

/** A dotted-quad IPv4 address in b[from, to) as its 32 bits; -1 for anything else (IPv6). */
function ipv4At(b: Buffer, from: number, to: number): number {
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

function countLines(b: Buffer): number {
  let n = 0;
  for (let i = b.indexOf(NEWLINE); i >= 0; i = b.indexOf(NEWLINE, i + 1)) n++;
  return b.length > 0 && b[b.length - 1] !== NEWLINE ? n + 1 : n;
}
