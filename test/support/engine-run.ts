// Runs a capture file through the engine and collects everything: the
// records (JSON lines, schema-checked, or packed), the stats, the info.
import { Engine, type BatchEncoding, type EngineOptions } from '../../agent/engine/engine.js';
import { parseJsonLines, type FlowRecord } from '../../agent/engine/flow-record.js';
import type { EngineInfo, EngineStats } from '../../agent/engine/stats.js';

export interface EngineRun {
  records: FlowRecord[];
  packed: Buffer[];
  stats: EngineStats;
  info: EngineInfo;
}

export async function runEngine(path: string, opts: Partial<EngineOptions> = {}, encoding: BatchEncoding = 'jsonl'): Promise<EngineRun> {
  const engine = await Engine.open({ maxFlows: 1 << 14, ...opts, source: opts.source ?? { kind: 'file', path } });
  try {
    engine.start();
    const records: FlowRecord[] = [];
    const packed: Buffer[] = [];
    for await (const batch of engine.batches(encoding)) {
      if (encoding === 'jsonl') records.push(...parseJsonLines(batch.data));
      else packed.push(batch.data);
    }
    await engine.close();
    return { records, packed, stats: engine.stats(), info: engine.info() };
  } finally {
    await engine.close();
  }
}

export function sumPackets(records: readonly FlowRecord[]): number {
  return records.reduce((n, r) => n + r.packets + r.revPackets, 0);
}
