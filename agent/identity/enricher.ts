// Adds each end's identity to the engine's JSON-lines records on their way to the stream:
//   {"srcAddr":"a","dstAddr":"b",…,"start":"…",…}  ->  {…,"src":{…},"dst":{…}}
// The engine writes srcAddr first and dstAddr second, so both are found at known places; `start`
// is found by its key. Nothing else of the record is parsed.
//
// enrich() only scans: it returns where each record's body is and the two identity fragments (Buffers
// encoded once, when the map's entry arrived) that follow it. The exporter's FlowBatchEncoder copies
// bodies and fragments straight into the messages' payloads (one copy of every byte); `data`, the
// enriched JSON lines as one buffer, is made only when someone asks for it (tests, other callers).
import type { EnrichmentState, RecordParts } from '../export/flow-batch.js';
import type { Fragments, IdentityMap } from './identity-map.js';

const SRC_KEY = Buffer.from('{"srcAddr":"');
const DST_KEY = Buffer.from(',"dstAddr":"');
const START_KEY = Buffer.from('"start":"');
const QUOTE = 0x22;
const NEWLINE = 0x0a;

/** An engine batch with identities: its records as parts (for FlowBatchEncoder), or as JSON lines. */
export class EnrichedBatch implements RecordParts {
  readonly state = 'on' as const;
  private joined: Buffer | undefined;

  constructor(
    readonly source: Buffer,
    readonly count: number,
    /** Record i's body without its closing brace: source[starts[i], ends[i]). */
    readonly starts: Int32Array,
    readonly ends: Int32Array,
    /** Record i's `,"src":{…}` at 2i and `,"dst":{…}}` at 2i+1. */
    readonly fragments: Buffer[],
    /** The enriched batch's length as JSON lines. */
    readonly bytes: number,
  ) {}

  /** The enriched JSON lines, each record ending in a newline (made on first use). */
  get data(): Buffer {
    if (this.joined) return this.joined;
    const out = Buffer.allocUnsafe(this.bytes);
    let at = 0;
    for (let i = 0; i < this.count; i++) {
      at += this.source.copy(out, at, this.starts[i]!, this.ends[i]!);
      at += this.fragments[2 * i]!.copy(out, at);
      at += this.fragments[2 * i + 1]!.copy(out, at);
      out[at++] = NEWLINE;
    }
    this.joined = out;
    return out;
  }
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
  enrich(jsonl: Buffer): EnrichedBatch | { data: Buffer; state: 'unavailable' } {
    if (!this.available()) {
      this.unenriched += countLines(jsonl);
      return { data: jsonl, state: 'unavailable' };
    }
    // A record is at least ~100 bytes: size the arrays for the batch once, trim at the end.
    let cap = Math.max(16, (jsonl.length >> 7) + 1);
    let starts = new Int32Array(cap);
    let ends = new Int32Array(cap);
    const frags: Buffer[] = [];
    let n = 0;
    let bytes = 0;
    let pos = 0;
    const len = jsonl.length;
    while (pos < len) {
      let nl = jsonl.indexOf(NEWLINE, pos);
      if (nl < 0) nl = len;
      if (n === cap) {
        cap *= 2;
        const s2 = new Int32Array(cap);
        s2.set(starts);
        starts = s2;
        const e2 = new Int32Array(cap);
        e2.set(ends);
        ends = e2;
      }
      const src = this.identities(jsonl, pos, nl, frags);
      starts[n] = pos;
      ends[n] = nl - 1;
      bytes += nl - pos + src; // body without its brace, the fragments (the dst one with the brace), a newline
      n++;
      pos = nl + 1;
    }
    this.enriched += n;
    return new EnrichedBatch(jsonl, n, starts, ends, frags, bytes);
  }

  /** Pushes the `,"src":…` and `,"dst":…}` fragments of the record in b[start, end); returns their length. */
  private identities(b: Buffer, start: number, end: number, frags: Buffer[]): number {
    if (!hasAt(b, start, SRC_KEY) || b[end - 1] !== 0x7d) {
      throw new RecordLayoutError(`not an engine flow record: ${b.toString('utf8', start, Math.min(end, start + 80))}`);
    }
    const srcFrom = start + SRC_KEY.length;
    const srcTo = quoteAfter(b, srcFrom, end);
    const dstFrom = srcTo + 1 + DST_KEY.length;
    if (srcTo < 0 || !hasAt(b, srcTo + 1, DST_KEY)) throw new RecordLayoutError('record without dstAddr after srcAddr');
    const dstTo = quoteAfter(b, dstFrom, end);
    const startKey = dstTo < 0 ? -1 : indexOfStart(b, dstTo, end);
    if (dstTo < 0 || startKey < 0) throw new RecordLayoutError('record without start');
    const t = this.time(b, startKey + START_KEY.length);
    const src: Fragments = this.map.fragmentsAt(b, srcFrom, srcTo, t);
    const dst: Fragments = this.map.fragmentsAt(b, dstFrom, dstTo, t);
    frags.push(src.src, dst.dst);
    return src.src.length + dst.dst.length;
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

/** Horspool's skip for `"start":"`: how far the window moves when its last byte is c. */
const SKIP = new Uint8Array(256).fill(START_KEY.length);
for (let i = 0; i < START_KEY.length - 1; i++) SKIP[START_KEY[i]!] = START_KEY.length - 1 - i;

/**
 * Where `"start":"` begins in b[from, end), or -1: Horspool's search, a few bytes read per key
 * length skipped (the digits and commas before it are not in the key), no call into C++.
 */
function indexOfStart(b: Buffer, from: number, end: number): number {
  const m = START_KEY.length;
  for (let i = from; i + m <= end; i += SKIP[b[i + m - 1]!]!) {
    if (b[i + m - 1] === QUOTE && hasAt(b, i, START_KEY)) return i;
  }
  return -1;
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

function countLines(b: Buffer): number {
  let n = 0;
  for (let i = b.indexOf(NEWLINE); i >= 0; i = b.indexOf(NEWLINE, i + 1)) n++;
  return b.length > 0 && b[b.length - 1] !== NEWLINE ? n + 1 : n;
}
