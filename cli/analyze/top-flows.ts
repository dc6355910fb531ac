// The `table` output: the top N flows by total bytes plus totals, built from
// packed batches in one pass with a bounded min-heap (memory O(N)).
import { PackedRecords, PACKED_RECORD_BYTES, type EndReason } from '../../agent/engine/packed-record.js';
import { byteSize, columns, protoName, thousands } from '../format.js';

interface Entry {
  total: bigint;
  bytes: Buffer; // a copy of the packed record
}

export class TopFlows {
  private readonly heap: Entry[] = [];
  flows = 0;
  readonly byProto = new Map<number, number>();
  readonly byReason = new Map<EndReason, number>();

  constructor(private readonly n: number) {}

  add(batch: Buffer): void {
    const recs = new PackedRecords(batch);
    for (let i = 0; i < recs.count; i++) {
      const r = recs.at(i);
      this.flows++;
      this.byProto.set(r.proto, (this.byProto.get(r.proto) ?? 0) + 1);
      this.byReason.set(r.endReason, (this.byReason.get(r.endReason) ?? 0) + 1);
      const total = r.bytes + r.revBytes;
      if (this.heap.length === this.n && total <= (this.heap[0]?.total ?? 0n)) continue;
      const entry = { total, bytes: Buffer.from(batch.subarray(i * PACKED_RECORD_BYTES, (i + 1) * PACKED_RECORD_BYTES)) };
      if (this.heap.length < this.n) this.push(entry);
      else this.replaceMin(entry);
    }
  }

  render(): string {
    const sorted = [...this.heap].sort((a, b) => (b.total > a.total ? 1 : b.total < a.total ? -1 : 0));
    const rows: string[][] = [['#', 'proto', 'source', 'destination', 'packets', 'bytes', 'rev packets', 'rev bytes', 'seconds', 'end']];
    sorted.forEach((e, i) => {
      const r = new PackedRecords(e.bytes).at(0);
      const ep = (a: string, p: number) => (r.ipVersion === 6 ? `[${a}]:${p}` : `${a}:${p}`);
      const secs = Number(r.endNs - r.startNs) / 1e9;
      rows.push([
        String(i + 1),
        protoName(r.proto) + (r.vlan === null ? '' : ` v${r.vlan}`),
        ep(r.srcAddr, r.srcPort),
        ep(r.dstAddr, r.dstPort),
        thousands(r.packets),
        byteSize(r.bytes),
        thousands(r.revPackets),
        byteSize(r.revBytes),
        secs.toFixed(3),
        r.endReason,
      ]);
    });
    const protos = [...this.byProto.entries()].sort((a, b) => b[1] - a[1]).map(([p, c]) => `${protoName(p)} ${thousands(c)}`);
    const reasons = [...this.byReason.entries()].sort((a, b) => b[1] - a[1]).map(([r, c]) => `${r} ${thousands(c)}`);
    const head = `Top ${sorted.length} of ${thousands(this.flows)} flows by bytes\n\n`;
    const table = sorted.length > 0 ? columns(rows, new Set([0, 4, 5, 6, 7, 8])) + '\n' : '';
    return `${head}${table}\nflows by protocol: ${protos.join(', ') || 'none'}\nflows by end reason: ${reasons.join(', ') || 'none'}\n`;
  }

  private push(e: Entry): void {
    const h = this.heap;
    h.push(e);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if ((h[p] as Entry).total <= e.total) break;
      h[i] = h[p] as Entry;
      i = p;
    }
    h[i] = e;
  }

  private replaceMin(e: Entry): void {
    const h = this.heap;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= h.length) break;
      const r = l + 1;
      const c = r < h.length && (h[r] as Entry).total < (h[l] as Entry).total ? r : l;
      if ((h[c] as Entry).total >= e.total) break;
      h[i] = h[c] as Entry;
      i = c;
    }
    h[i] = e;
  }
}
