// `--detect [--syn-flood-rate N] [--port-scan-ports N] [--volumetric-pps N]`, shared by
// `tapline analyze` and `tapline capture`: the native detectors with the SnifferPolicy's default
// thresholds, windows and cooldown (operator/api/detectors.ts is the one source of them), a few
// of them overridable. SYN flood and port scan run; the volumetric detector runs only with
// --volumetric-pps (a policy has no default rate for it); heavy-hitter reports stay off.
import { z } from 'zod';

import type { DetectorOptions } from '../../agent/engine/detector-options.js';
import { DetectorsSchema } from '../../operator/api/detectors.js';
import { UsageError } from '../usage-error.js';

/** What an empty SnifferPolicy `spec.detectors` stands for (every detector off, default thresholds). */
export const POLICY_DETECTOR_DEFAULTS = DetectorsSchema.parse({});

/** node:util parseArgs options. */
export const DETECT_OPTIONS = {
  detect: { type: 'boolean' },
  'syn-flood-rate': { type: 'string' },
  'port-scan-ports': { type: 'string' },
  'volumetric-pps': { type: 'string' },
} as const;

const d = POLICY_DETECTOR_DEFAULTS;
export const DETECT_USAGE = `      --detect             run the anomaly detectors with a SnifferPolicy's default
                           thresholds: one line per alert on stderr (and with
                           --nats, to the stream)
      --syn-flood-rate N   SYNs/s to one destination (default ${d.synFlood.synsPerSecond} over ${d.synFlood.windowSeconds} s)
      --port-scan-ports N  ports one source touches (default ${d.portScan.distinctPorts} in ${d.portScan.windowSeconds} s)
      --volumetric-pps N   also alert above N packets/s to one destination
`;

const whole = (flag: string, min: number, max: number) =>
  z.coerce
    .number({ error: `${flag}: must be a whole number` })
    .int({ error: `${flag}: must be a whole number` })
    .min(min, { error: `${flag}: must be at least ${min}` })
    .max(max, { error: `${flag}: must be at most ${max}` });

const OverridesSchema = z.object({
  synFloodRate: whole('--syn-flood-rate', 1, 2 ** 50).optional(),
  portScanPorts: whole('--port-scan-ports', 2, 65535).optional(),
  volumetricPps: whole('--volumetric-pps', 1, 2 ** 50).optional(),
});

type DetectFlags = { detect?: boolean | undefined; 'syn-flood-rate'?: string | undefined; 'port-scan-ports'?: string | undefined; 'volumetric-pps'?: string | undefined };

/** The engine's detector options for the flags, or undefined without --detect. Throws UsageError naming the flag. */
export function detectorOptions(v: DetectFlags): DetectorOptions | undefined {
  if (v.detect !== true) {
    const stray = (['syn-flood-rate', 'port-scan-ports', 'volumetric-pps'] as const).find((k) => v[k] !== undefined);
    if (stray) throw new UsageError(`--${stray}: only with --detect`);
    return undefined;
  }
  const r = OverridesSchema.safeParse({ synFloodRate: v['syn-flood-rate'], portScanPorts: v['port-scan-ports'], volumetricPps: v['volumetric-pps'] });
  if (!r.success) throw new UsageError(r.error.issues[0]?.message ?? 'invalid detector options');
  const o = r.data;
  return {
    volumetric: { ...d.volumetric, enabled: o.volumetricPps !== undefined, ...(o.volumetricPps !== undefined ? { packetsPerSecond: o.volumetricPps } : {}) },
    synFlood: { ...d.synFlood, enabled: true, synsPerSecond: o.synFloodRate ?? d.synFlood.synsPerSecond },
    portScan: { ...d.portScan, enabled: true, distinctPorts: o.portScanPorts ?? d.portScan.distinctPorts },
    heavyHitters: { ...d.heavyHitters, enabled: false },
    cooldownSeconds: d.cooldownSeconds,
  };
}
