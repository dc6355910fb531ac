// The engine's counters as the binding reports them (native/src/engine/
// engine_stats.cc), parsed once at the boundary. Counters are bigint: they
// can pass 2^53 on a long-running capture.
import { z } from 'zod';

const counters = z.record(z.string(), z.bigint());

export const EngineStatsSchema = z.object({
  packets: z.bigint(),
  bytes: z.bigint(),
  flowPackets: z.bigint(),
  malformedTotal: z.bigint(),
  protocols: counters,
  malformed: counters,
  fragments: z.object({ unmatched: z.bigint(), evicted: z.bigint() }),
  flows: z.object({ created: z.bigint(), exported: z.bigint(), evicted: z.bigint(), active: z.bigint(), capacity: z.bigint() }),
  ring: z.object({ drops: z.bigint(), dispatchWaits: z.bigint() }),
  workers: z.record(z.string(), z.object({ packets: z.bigint(), busyNs: z.bigint() })),
  input: z.object({
    bytesRead: z.bigint().optional(),
    fileSize: z.bigint().optional(),
    unsupportedLinkType: z.bigint(),
  }),
  /** With a capture filter: file and replay packets it rejected (live sources: capture.filterRejected). */
  filter: z.object({ rejected: z.bigint() }).optional(),
  /**
   * Live sources: the source's own counters. received/drops on every source;
   * AF_PACKET adds kernelDrops, freezes; DPDK adds imissed, ierrors, rxNombuf
   * and queues.<n>.packets, and on net_af_xdp ports ifaceDrops (the interface's
   * rx_dropped while capturing: frames the kernel could not give the XDP socket).
   */
  capture: z
    .object({
      received: z.bigint(),
      drops: z.bigint(),
      filterRejected: z.bigint(),
      queues: z.record(z.string(), z.object({ packets: z.bigint() })).optional(),
    })
    .catchall(z.bigint())
    .optional(),
  /** With detectors on (native/src/detect/collector.cc): ticks, drops at each bound, per-detector windows. */
  detectors: z
    .object({
      ticks: z.bigint(),
      ticksMerged: z.bigint(),
      tickDrops: z.bigint(),
      candidateDrops: z.bigint(),
      scanSourcesReplaced: z.bigint(),
      attackDrops: z.bigint(),
      openAttacks: z.bigint(),
      volumetric: z.object({ windows: z.bigint(), candidateDrops: z.bigint() }).optional(),
      synFlood: z.object({ windows: z.bigint(), candidateDrops: z.bigint() }).optional(),
      portScan: z.object({ windows: z.bigint(), sourceDrops: z.bigint() }).optional(),
      heavyHitters: z.object({ intervals: z.bigint(), candidateDrops: z.bigint() }).optional(),
    })
    .optional(),
  /** With detectors on: alert events produced, and dropped because drainAlerts() did not keep up. */
  alerts: z
    .object({ raised: z.bigint(), updated: z.bigint(), resolved: z.bigint(), reports: z.bigint(), dropped: z.bigint(), queued: z.bigint() })
    .optional(),
  memoryBytes: z.bigint(),
  /** Of memoryBytes, the flow tables (buckets, flow pool, timer wheel). */
  flowTableBytes: z.bigint(),
  wallNs: z.bigint(),
});

export type EngineStats = z.infer<typeof EngineStatsSchema>;

export const EngineInfoSchema = z.object({
  workers: z.number().int().positive(),
  memoryBytes: z.number().nonnegative(),
  /** How the input ended when it did not end cleanly ('' otherwise). */
  inputError: z.string(),
  inputTruncated: z.boolean(),
});

export type EngineInfo = z.infer<typeof EngineInfoSchema>;

/** The malformed counters that are not zero, largest first. */
export function nonZeroMalformed(stats: EngineStats): Array<[string, bigint]> {
  return Object.entries(stats.malformed)
    .filter(([, v]) => v !== 0n)
    .sort((a, b) => (b[1] > a[1] ? 1 : b[1] < a[1] ? -1 : 0));
}
