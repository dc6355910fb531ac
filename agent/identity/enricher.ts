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
    const parts: string[] = [];
    let pos = 0;
    let lines = 0;
    while (pos < jsonl.length) {
      let nl = jsonl.indexOf(NEWLINE, pos);
      if (nl < 0) nl = jsonl.length;
      parts.push(this.enrichLine(jsonl, pos, nl));
      lines++;
      pos = nl + 1;
    }
    this.enriched += lines;
    return { data: Buffer.from(parts.join('')), state: 'on' };
  }

  private enrichLine(b: Buffer, start: number, end: number): string {
    if (b.compare(SRC_KEY, 0, SRC_KEY.length, start, start + SRC_KEY.length) !== 0 || b[end - 1] !== 0x7d) {
      throw new RecordLayoutError(`not an engine flow record: ${b.toString('utf8', start, Math.min(end, start + 80))}`);
    }
    const srcFrom = start + SRC_KEY.length;
    const srcTo = b.indexOf(QUOTE, srcFrom);
    const dstFrom = srcTo + 1 + DST_KEY.length;
    if (srcTo < 0 || b.compare(DST_KEY, 0, DST_KEY.length, srcTo + 1, dstFrom) !== 0) throw new RecordLayoutError('record without dstAddr after srcAddr');
    const dstTo = b.indexOf(QUOTE, dstFrom);
    const startKey = b.indexOf(START_KEY, dstTo);
    if (startKey < 0 || startKey > end) throw new RecordLayoutError('record without start');
    const tFrom = startKey + START_KEY.length;
    const at = Date.parse(b.toString('latin1', tFrom, b.indexOf(QUOTE, tFrom)));
    const src = this.map.resolve(b.toString('latin1', srcFrom, srcTo), at);
    const dst = this.map.resolve(b.toString('latin1', dstFrom, dstTo), at);
    return `${b.toString('utf8', start, end - 1)},"src":${src},"dst":${dst}}\n`;
  }
}

function countLines(b: Buffer): number {
  let n = 0;
  for (let i = b.indexOf(NEWLINE); i >= 0; i = b.indexOf(NEWLINE, i + 1)) n++;
  return b.length > 0 && b[b.length - 1] !== NEWLINE ? n + 1 : n;
}
