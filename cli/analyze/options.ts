// `tapline analyze` flags: parsed with node:util, validated with zod so a bad
// value names its flag.
import { parseArgs } from 'node:util';

import { z } from 'zod';

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
  output: z.optional(z.lazy(() => NatsOutputSchema)),
});

export type AnalyzeOptions = z.infer<typeof AnalyzeOptionsSchema>;

/**
 * Publishing to NATS JetStream instead of writing records (`--nats URL`): the agent's exporter with
 * node `local` unless --node is given. Shared with `tapline capture` (NATS_OUTPUT_OPTIONS, natsOutput()).
 */
export const NatsOutputSchema = z.object({
  nats: z
    .string()
    .regex(/^(nats|tls|ws|wss):\/\/\S+$/, { error: '--nats: must be a URL like nats://host:4222 (several separated by commas)' })
    .refine((u) => !/^[a-z]+:\/\/[^/@]*@/.test(u), { error: '--nats: credentials in the URL are not accepted (they would show in process lists)' }),
  stream: z.string().regex(/^[A-Za-z0-9_-]+$/, { error: '--stream: letters, digits, - and _ only' }),
  subjectPrefix: z.string().regex(/^[^.*>\s]+(\.[^.*>\s]+)*$/, { error: '--subject-prefix: must be a NATS subject without wildcards' }),
  createStream: z.boolean(),
  node: z.string().min(1, { error: '--node: must not be empty' }).max(253),
});
export type NatsOutputOptions = z.infer<typeof NatsOutputSchema>;

export const NATS_OUTPUT_OPTIONS = {
  nats: { type: 'string' },
  stream: { type: 'string' },
  'subject-prefix': { type: 'string' },
  'create-stream': { type: 'boolean' },
  node: { type: 'string' },
} as const;

export const NATS_OUTPUT_USAGE = `      --nats URL           publish the records to NATS JetStream instead of stdout,
                           as the agent does (exit 1 if any record is not delivered)
      --stream NAME        the stream (default TAPLINE)
      --subject-prefix P   subjects P.local.analyze.flows.NODE (default tapline)
      --create-stream      create the stream (P.>, file storage) if it is missing
      --node N             node name in subjects and messages (default local)
`;

/** The NATS output options from parsed flags, or undefined without --nats. Throws UsageError naming the flag. */
export function natsOutput(v: { nats?: string; stream?: string; 'subject-prefix'?: string; 'create-stream'?: boolean; node?: string }): NatsOutputOptions | undefined {
  if (v.nats === undefined) {
    const stray = (['stream', 'subject-prefix', 'create-stream', 'node'] as const).find((k) => v[k] !== undefined);
    if (stray) throw new UsageError(`--${stray}: only with --nats`);
    return undefined;
  }
  const r = NatsOutputSchema.safeParse({
    nats: v.nats,
    stream: v.stream ?? 'TAPLINE',
    subjectPrefix: v['subject-prefix'] ?? 'tapline',
    createStream: v['create-stream'] === true,
    node: v.node ?? 'local',
  });
  if (!r.success) throw new UsageError(r.error.issues[0]?.message ?? 'invalid NATS options');
  return r.data;
}

export function parseAnalyzeArgs(args: string[], stdoutIsTty: boolean, stderrIsTty: boolean): AnalyzeOptions | 'help' {
  let parsed;
  try {
    parsed = parseArgs({
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
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : String(err));
  }
  const { values: v, positionals } = parsed;
  if (v.help) return 'help';
  if (positionals.length !== 1) {
    throw new UsageError(positionals.length === 0 ? 'a capture FILE is required' : `one FILE at a time (got ${positionals.length})`);
  }
  const result = AnalyzeOptionsSchema.safeParse({
    file: positionals[0],
    workers: v.workers ?? 1,
    format: v.format ?? (stdoutIsTty ? 'table' : 'jsonl'),
    idleTimeout: v['idle-timeout'] ?? 15,
    activeTimeout: v['active-timeout'] ?? 1800,
    maxFlows: v['max-flows'] ?? 1 << 20,
    top: v.top ?? 20,
    progress: stderrIsTty && !v['no-progress'],
    filter: v.filter,
    output: natsOutput(v),
  });
  if (!result.success) throw new UsageError(result.error.issues[0]?.message ?? 'invalid options');
  if (result.data.maxFlows < result.data.workers) throw new UsageError('--max-flows: must be at least the number of workers');
  return result.data;
}
