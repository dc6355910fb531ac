// `tapline analyze` flags: parsed with node:util, validated with zod so a bad
// value names its flag.

import { z } from 'zod';

import { FLOW_DEFAULTS } from '../../agent/config/capture-rules.js';
import type { DetectorOptions } from '../../agent/engine/detector-options.js';
import { DETECT_OPTIONS, detectorOptions } from '../output/detect-options.js';
import { NATS_OUTPUT_OPTIONS, NatsOutputSchema, natsOutput, refuseStdoutFlagsWithNats } from '../output/nats-output.js';
import { parseFlags } from '../parse-flags.js';
import { UsageError } from '../usage-error.js';

export const ANALYZE_FORMATS = ['jsonl', 'table'] as const;

const seconds = (flag: string) =>
  z.coerce
    .number({ error: `${flag}: must be a number of seconds` })
    .positive({ error: `${flag}: must be greater than 0` })
    .max(7 * 24 * 3600, { error: `${flag}: must be at most a week (604800)` });

const AnalyzeOptionsSchema = z.object({
  file: z.string().min(1),
  workers: z.coerce
    .number({ error: '--workers: must be a whole number' })
    .int({ error: '--workers: must be a whole number' })
    .min(1, { error: '--workers: must be at least 1' })
    .max(64, { error: '--workers: must be at most 64' }),
  format: z.enum(ANALYZE_FORMATS, { error: `--format: must be one of ${ANALYZE_FORMATS.join(', ')}` }),
  idleTimeout: seconds('--idle-timeout'),
  activeTimeout: seconds('--active-timeout'),
  maxFlows: z.coerce
    .number({ error: '--max-flows: must be a whole number' })
    .int({ error: '--max-flows: must be a whole number' })
    .min(16, { error: '--max-flows: must be at least 16' })
    .max(2 ** 31, { error: '--max-flows: must be at most 2147483648' }),
  top: z.coerce
    .number({ error: '--top: must be a whole number' })
    .int({ error: '--top: must be a whole number' })
    .min(1, { error: '--top: must be at least 1' }),
  progress: z.boolean(),
  filter: z.string().min(1, { error: '--filter: must not be empty' }).optional(),
  output: NatsOutputSchema.optional(),
});

export type AnalyzeOptions = z.infer<typeof AnalyzeOptionsSchema> & {
  /** --detect: the engine's detector options (validated by the engine's own schema at open). */
  detectors: DetectorOptions | undefined;
};

export function parseAnalyzeArgs(args: string[], stdoutIsTty: boolean, stderrIsTty: boolean): AnalyzeOptions | 'help' {
  const parsed = parseFlags({
    args,
    allowPositionals: true,
    strict: true,
    options: {
      workers: { type: 'string', short: 'w' },
      format: { type: 'string', short: 'f' },
      'idle-timeout': { type: 'string' },
      'active-timeout': { type: 'string' },
      'max-flows': { type: 'string' },
      top: { type: 'string' },
      'no-progress': { type: 'boolean' },
      filter: { type: 'string' },
      ...NATS_OUTPUT_OPTIONS,
      ...DETECT_OPTIONS,
      help: { type: 'boolean', short: 'h' },
    },
  });
  const { values: v, positionals } = parsed;
  if (v.help) return 'help';
  if (positionals.length !== 1) {
    throw new UsageError(positionals.length === 0 ? 'a capture FILE is required' : `one FILE at a time (got ${positionals.length})`);
  }
  const result = AnalyzeOptionsSchema.safeParse({
    file: positionals[0],
    workers: v.workers ?? 1,
    format: v.format ?? (stdoutIsTty ? 'table' : 'jsonl'),
    idleTimeout: v['idle-timeout'] ?? FLOW_DEFAULTS.idleTimeoutSeconds,
    activeTimeout: v['active-timeout'] ?? FLOW_DEFAULTS.activeTimeoutSeconds,
    maxFlows: v['max-flows'] ?? FLOW_DEFAULTS.maxFlows,
    top: v.top ?? 20,
    progress: stderrIsTty && !v['no-progress'],
    filter: v.filter,
    output: natsOutput(v),
  });
  if (!result.success) throw new UsageError(result.error.issues[0]?.message ?? 'invalid options');
  if (result.data.maxFlows < result.data.workers) throw new UsageError('--max-flows: must be at least the number of workers');
  refuseStdoutFlagsWithNats(result.data.output, v);
  return { ...result.data, detectors: detectorOptions(v) };
}
