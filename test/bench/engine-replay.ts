// The engine alone, from memory: a capture preloaded per worker (split by
// the symmetric flow hash, as NIC RSS would) and replayed `loops` times, so
// the numbers measure parse + hash + flow table, not the disk.
import { type DetectorOptions } from '../../agent/engine/detector-options.js';
import { Engine } from '../../agent/engine/engine.js';

export interface ReplayResult {
  workers: number;
  packets: number;
  /** Slowest worker's busy time. */
  seconds: number;
  /** Packets per second of each worker over its own busy time. */
  perWorkerPps: number[];
  totalPps: number;
  flows: number;
  memoryBytes: number;
  /** Flow-table bytes per flow of capacity. */
  bytesPerFlow: number;
}

export async function measureReplay(
  path: string,
  workers: number,
  loops: number,
  maxFlows: number,
  detectors?: DetectorOptions,
): Promise<ReplayResult> {
  const engine = await Engine.open({ workers, maxFlows, source: { kind: 'replay', path, loops }, ...(detectors ? { detectors } : {}) });
  try {
    engine.start();
    let flows = 0;
    // Packed batches: the consumer reads counts only, it does not slow the workers.
    for await (const batch of engine.batches('packed', { maxRecords: 65_536 })) flows += batch.records;
    await engine.close();
    const s = engine.stats();
    const per = Object.values(s.workers).map((w) => ({ packets: Number(w.packets), secs: Number(w.busyNs) / 1e9 }));
    const seconds = Math.max(...per.map((w) => w.secs));
    const packets = Number(s.packets);
    return {
      workers,
      packets,
      seconds,
      perWorkerPps: per.map((w) => w.packets / w.secs),
      totalPps: packets / seconds,
      flows,
      memoryBytes: Number(s.memoryBytes),
      bytesPerFlow: Number(s.flowTableBytes) / Number(s.flows.capacity),
    };
  } finally {
    await engine.close();
  }
}
