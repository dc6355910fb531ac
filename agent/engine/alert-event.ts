// What the native detectors report, as the Engine wrapper returns it from drainAlerts(): one
// event per state change of an attack (raised, updated while it lasts, resolved after the
// cooldown) and one periodic heavy-hitters report. The agent adds node, policy and the schema
// version when it publishes (agent/schemas/alert.v1.json); this is the engine-side contract.
// Times are from the packet clock (capture timestamps), in milliseconds since the Unix epoch.
import { z } from 'zod';

export const ALERT_TYPES = ['volumetric', 'syn_flood', 'port_scan', 'heavy_hitters'] as const;
export const ALERT_STATES = ['raised', 'updated', 'resolved', 'report'] as const;

export const AlertMetricSchema = z.enum([
  'packets_per_second',
  'bytes_per_second',
  'syns_per_second',
  'distinct_ports',
  'distinct_hosts',
  'bytes',
]);

/** One entry of a heavy-hitters report: an address and what it sent (src) or received (dst) in the interval. */
export const HeavyHitterSchema = z.strictObject({
  addr: z.string().min(1),
  direction: z.enum(['src', 'dst']),
  /** Decimal strings: can pass 2^53 over long intervals. */
  bytes: z.string().regex(/^[0-9]+$/),
  packets: z.string().regex(/^[0-9]+$/),
});

export const AlertEventSchema = z.strictObject({
  /** Stable for one attack across raised/updated/resolved: `${type}:${key}:${firstSeenMs}`. */
  id: z.string().min(1),
  type: z.enum(ALERT_TYPES),
  state: z.enum(ALERT_STATES),
  /** The attacked destination (volumetric, syn_flood) or the scanning source (port_scan); empty for heavy_hitters. */
  key: z.strictObject({ src: z.string().optional(), dst: z.string().optional() }),
  metric: AlertMetricSchema,
  /** The value measured over the window that triggered (or, for resolved, last exceeded) the threshold. */
  observed: z.number().nonnegative(),
  threshold: z.number().nonnegative(),
  windowMs: z.int().positive(),
  firstSeenMs: z.int().nonnegative(),
  lastSeenMs: z.int().nonnegative(),
  /** heavy_hitters reports only: the top-k by bytes, largest first. */
  top: z.array(HeavyHitterSchema).optional(),
});

export type AlertEvent = z.output<typeof AlertEventSchema>;
export type AlertType = (typeof ALERT_TYPES)[number];
export type AlertState = (typeof ALERT_STATES)[number];
