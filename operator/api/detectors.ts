// spec.detectors: anomaly detectors run per worker on the packet path; thresholds are per node.
import { z } from 'zod';
import { withRules } from './cel.js';

const enabled = () => z.boolean().default(false).describe('Run this detector.');
const windowSeconds = (dflt: number) =>
  z.int().min(1).max(3600).default(dflt).describe('Length of the measurement window in seconds (1-3600).');

export const VolumetricDetectorSchema = withRules(
  z.strictObject({
    enabled: enabled(),
    packetsPerSecond: z
      .int()
      .min(1)
      .optional()
      .describe('Alert when one destination receives more packets per second than this, averaged over the window.'),
    bytesPerSecond: z
      .int()
      .min(1)
      .optional()
      .describe('Alert when one destination receives more bytes per second than this, averaged over the window.'),
    windowSeconds: windowSeconds(10),
  }),
  [
    {
      rule: '!self.enabled || has(self.packetsPerSecond) || has(self.bytesPerSecond)',
      message: 'an enabled volumetric detector needs packetsPerSecond or bytesPerSecond',
      reason: 'FieldValueRequired',
      holds: (v) => !v.enabled || v.packetsPerSecond !== undefined || v.bytesPerSecond !== undefined,
    },
  ],
).describe('Per-destination packet and byte rate thresholds.');

export const SynFloodDetectorSchema = z
  .strictObject({
    enabled: enabled(),
    synsPerSecond: z
      .int()
      .min(1)
      .default(5000)
      .describe('TCP SYNs per second to one destination, averaged over the window, above which a flood is suspected.'),
    halfOpenPercent: z
      .int()
      .min(1)
      .max(100)
      .default(80)
      .describe('Alert only when at least this percentage of those SYNs never complete the handshake (1-100).'),
    windowSeconds: windowSeconds(10),
  })
  .describe('TCP SYN flood: many SYNs to one destination that are not followed by a completed handshake.');

export const PortScanDetectorSchema = z
  .strictObject({
    enabled: enabled(),
    distinctPorts: z
      .int()
      .min(2)
      .max(65535)
      .default(100)
      .describe('Alert when one source contacts more distinct destination ports than this within the window.'),
    distinctHosts: z
      .int()
      .min(2)
      .max(16_777_216)
      .optional()
      .describe('Also alert when one source begins flows to more distinct destination hosts than this within the window (a horizontal scan). Unset: ports only.'),
    windowSeconds: windowSeconds(60),
  })
  .describe('Port scan: one source touching many distinct destination ports (or hosts).');

export const HeavyHittersDetectorSchema = z
  .strictObject({
    enabled: enabled(),
    topK: z.int().min(1).max(1000).default(10).describe('How many of the largest talkers to report (1-1000).'),
    intervalSeconds: z
      .int()
      .min(1)
      .max(3600)
      .default(60)
      .describe('Report the top talkers by bytes every this many seconds (1-3600).'),
  })
  .describe('Heavy hitters: the top-k flows by bytes, reported periodically.');

export const DetectorsSchema = z
  .strictObject({
    volumetric: VolumetricDetectorSchema.prefault({}),
    synFlood: SynFloodDetectorSchema.prefault({}),
    portScan: PortScanDetectorSchema.prefault({}),
    heavyHitters: HeavyHittersDetectorSchema.prefault({}),
    cooldownSeconds: z
      .int()
      .min(1)
      .max(86_400)
      .default(300)
      .describe('An ongoing anomaly is one alert, updated, until it has been quiet for this many seconds.'),
  })
  .describe('Anomaly detectors; each is off unless enabled. Thresholds apply per node.');
