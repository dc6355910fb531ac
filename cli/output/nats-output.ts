// `--nats URL [--stream NAME] [--subject-prefix P] [--create-stream] [--node N]`, shared by
// `tapline analyze` and `tapline capture`: the flags, their validation, and the output itself —
// the agent's exporter (agent/export/exporter.ts) with node `local` unless --node is given and
// the command's name as the policy, so records and alerts reach the stream exactly as the agent
// publishes them. The run fails (exit 1) when any record or alert was not delivered.
import { pino } from 'pino';
import { z } from 'zod';

import type { AlertEvent } from '../../agent/engine/alert-event.js';
import { Exporter } from '../../agent/export/exporter.js';
import { commandLineExportSettings } from '../../agent/export/options.js';
import { UsageError } from '../usage-error.js';

/** The commands that publish; each is the policy name in its subjects (P.local.COMMAND.flows.NODE). */
export type PublishingCommand = 'analyze' | 'capture';

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

/** node:util parseArgs options. */
export const NATS_OUTPUT_OPTIONS = {
  nats: { type: 'string' },
  stream: { type: 'string' },
  'subject-prefix': { type: 'string' },
  'create-stream': { type: 'boolean' },
  node: { type: 'string' },
} as const;

export function natsOutputUsage(command: PublishingCommand): string {
  return `      --nats URL           publish the records (and alerts) to NATS JetStream
                           instead of stdout, as the agent does (exit 1 if any
                           is not delivered)
      --stream NAME        the stream (default TAPLINE)
      --subject-prefix P   subjects P.local.${command}.{flows,alerts}.NODE (default tapline)
      --create-stream      create the stream (P.>, file storage) if it is missing
      --node N             node name in subjects and messages (default local)
`;
}

type NatsFlags = { nats?: string | undefined; stream?: string | undefined; 'subject-prefix'?: string | undefined; 'create-stream'?: boolean | undefined; node?: string | undefined };

/** The NATS output options from parsed flags, or undefined without --nats. Throws UsageError naming the flag. */
export function natsOutput(v: NatsFlags): NatsOutputOptions | undefined {
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

/** --nats replaces stdout: a flag that shapes stdout's output given with it is a mistake. */
export function refuseStdoutFlagsWithNats(output: NatsOutputOptions | undefined, v: { format?: string | undefined; top?: string | undefined }): void {
  if (output === undefined) return;
  if (v.format !== undefined) throw new UsageError('--format: not with --nats (the records go to NATS, not stdout)');
  if (v.top !== undefined) throw new UsageError('--top: not with --nats (the records go to NATS, not stdout)');
}

/** The agent's exporter, opened for one command-line run. */
export class NatsOutput {
  private constructor(
    private readonly exporter: Exporter,
    private readonly command: PublishingCommand,
  ) {}

  /** Connects and checks (or creates) the stream before any input is read; throws the exporter's errors. */
  static async open(o: NatsOutputOptions, command: PublishingCommand): Promise<NatsOutput> {
    const log = pino({ level: 'warn', base: { component: command } }, pino.destination(2));
    const settings = commandLineExportSettings({
      servers: o.nats,
      stream: o.stream,
      subjectPrefix: o.subjectPrefix,
      createStream: o.createStream,
      node: o.node,
      policy: command,
    });
    return new NatsOutput(await Exporter.open(settings, log), command);
  }

  /**
   * One engine batch (JSON lines). `paced`: the input can wait (a file), so wait for room in the
   * spool rather than let it fill; a live capture cannot, and what the spool cannot hold is counted.
   */
  async publishFlows(jsonl: Buffer, paced: boolean): Promise<void> {
    if (paced) await this.exporter.publishFlowsPaced(jsonl);
    else this.exporter.publishFlows(jsonl);
  }

  publishAlert(event: AlertEvent): void {
    this.exporter.publishAlert(event);
  }

  /** Waits for every acknowledgement, says what was published on stderr; 1 if anything was not delivered. */
  async finish(timeoutMs = 60_000): Promise<number> {
    const x = this.exporter;
    const r = await x.flush(timeoutMs);
    const s = x.stats();
    const { stream, subjects } = x.settings;
    const err = process.stderr;
    err.write(`published ${s.publishedRecords.flows} records in ${s.publishedMessages.flows} messages to stream ${stream} (${subjects.flows})\n`);
    if (s.publishedRecords.alerts > 0) err.write(`published ${s.publishedRecords.alerts} alerts to stream ${stream} (${subjects.alerts})\n`);
    const lost = s.droppedRecords.flows + s.rejectedRecords.flows + s.droppedRecords.alerts + s.rejectedRecords.alerts;
    if (!r.delivered || lost > 0) {
      err.write(`tapline ${this.command}: ${r.pendingRecords + lost} records or alerts were not delivered to NATS\n`);
      return 1;
    }
    return 0;
  }

  close(): Promise<void> {
    return this.exporter.close();
  }
}

/**
 * Runs a command with its NATS output, if --nats was given: connects before `run` reads any input,
 * then waits for every acknowledgement. The exit code is the worse of run's and the delivery's.
 */
export async function withNatsOutput(o: NatsOutputOptions | undefined, command: PublishingCommand, run: (nats: NatsOutput | undefined) => Promise<number>): Promise<number> {
  if (o === undefined) return run(undefined);
  const nats = await NatsOutput.open(o, command);
  try {
    const code = await run(nats);
    return Math.max(code, await nats.finish());
  } finally {
    await nats.close();
  }
}
