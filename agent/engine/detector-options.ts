// The anomaly detectors' options as the engine takes them (native/src/detect/,
// read by native/binding/js_detect_config.cc). The shape of the agent config's
// `detectors` (agent/config/schema.ts), so the agent hands it over as it is;
// each detector may be left out (off), and a few fixed sketch sizes may be tuned.
// Windows and the cooldown run on the packet clock (capture timestamps).
import { z } from 'zod';

const seconds = z.int().min(1).max(86_400);
const rate = z.int().min(1).max(2 ** 50);

export const DetectorOptionsSchema = z
  .strictObject({
    /** Packets and/or bytes per second towards one destination address, averaged over the window. */
    volumetric: z
      .strictObject({ enabled: z.boolean(), packetsPerSecond: rate.optional(), bytesPerSecond: rate.optional(), windowSeconds: seconds })
      .refine((v) => !v.enabled || v.packetsPerSecond !== undefined || v.bytesPerSecond !== undefined, {
        message: 'needs packetsPerSecond or bytesPerSecond',
      })
      .optional(),
    /** SYNs per second towards one destination, of which at least halfOpenPercent never completed the handshake. */
    synFlood: z
      .strictObject({ enabled: z.boolean(), synsPerSecond: rate, halfOpenPercent: z.int().min(1).max(100), windowSeconds: seconds })
      .optional(),
    /** Distinct destination ports (and, if set, hosts) one source began flows to within the window. */
    portScan: z
      .strictObject({
        enabled: z.boolean(),
        distinctPorts: z.int().min(2).max(65535),
        distinctHosts: z.int().min(2).max(1 << 24).optional(),
        windowSeconds: seconds,
      })
      .optional(),
    /** The top-k sources and destinations by bytes, reported every interval. */
    heavyHitters: z.strictObject({ enabled: z.boolean(), topK: z.int().min(1).max(1000), intervalSeconds: seconds }).optional(),
    /** An attack is resolved once it has not exceeded its threshold for this long. */
    cooldownSeconds: seconds,
    /** Count-min cells per row (power of two); memory per worker grows with it. Default 2048. */
    sketchWidth: z
      .int()
      .min(256)
      .max(1 << 20)
      .refine((w) => (w & (w - 1)) === 0, { message: 'must be a power of two' })
      .optional(),
    /** Alert events waiting for drainAlerts(); more are dropped and counted. Default 4096. */
    alertQueue: z.int().min(16).max(1 << 20).optional(),
    /** Attacks tracked at once; more are counted, not alerted. Default 1024. */
    maxAttacks: z.int().min(1).max(1 << 20).optional(),
    /** An ongoing attack is re-reported at least every this many windows (also when it grows by half). Default 6. */
    updateEveryWindows: z.int().min(1).max(1 << 20).optional(),
  });

export type DetectorOptions = z.input<typeof DetectorOptionsSchema>;
