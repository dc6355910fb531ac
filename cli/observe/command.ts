// `tapline observe --nats URL [filters] [--alerts] [--since D | --last N] [--follow] [-o FORMAT]`:
// the flow records (or alerts) in the stream that pass the filters, one per line, in stream order.
// Ends at the stream's last message as it was at start (exit 0), or with --follow goes on with new
// messages until Ctrl-C or SIGTERM (exit 0).
import type { NatsConnection } from '@nats-io/transport-node';

import { connectSource, SOURCE_OPTIONS, SOURCE_USAGE, sourceOptions } from '../flows/connect.js';
import { FILTER_OPTIONS, FILTER_USAGE, alertMatches, batchMatches, flowFilter, flowOnlyFlags, recordMatches, subjectFilters, type FlowFilter } from '../flows/filter.js';
import { alertJson, alertTableHeader, alertTableRow, flowJson, flowTableHeader, flowTableRow } from '../flows/format.js';
import { interruptSignal, sinceTime, wholeNumber } from '../flows/options.js';
import { readLast, readStream, type StartAt, type StreamItem } from '../flows/reader.js';
import { OutputClosed, writeStdout } from '../output/stdout.js';
import { parseFlags } from '../parse-flags.js';
import { UsageError } from '../usage-error.js';

export const OBSERVE_FORMATS = ['table', 'jsonl', 'json'] as const;
type ObserveFormat = (typeof OBSERVE_FORMATS)[number];

export const OBSERVE_USAGE = `usage: tapline observe --nats URL [options]

Prints the flow records (or, with --alerts, the alerts) stored in the Tapline
JetStream stream that pass the filters, in the order they were stored: one
line per flow with both ends' Kubernetes identities. Stops at the last message
the stream held at start, or with --follow goes on until Ctrl-C.

${SOURCE_USAGE}
${FILTER_USAGE}
what and how:
      --alerts             alerts instead of flows (filters: --node, --policy, --ip)
      --since D|TIME       from messages stored in the last D (30s, 10m, 2h, 1d)
                           or since an RFC 3339 time (default: the whole stream)
      --last N             only the last N matching records (or alerts)
  -f, --follow             then keep printing new ones until Ctrl-C
  -o, --output FORMAT      table (default), jsonl or json:
                           jsonl: {"flow": RECORD, "node", "policy", "time",
                           "streamSeq"} per line, RECORD a flow-record.v2 as
                           published, time when the stream stored its batch;
                           with --alerts {"alert": ALERT, ...}. json: an array
                           of the same (not with --follow)
  -h, --help               this help

exit status: 0 at the end of the data (or on Ctrl-C with --follow), 1 if NATS
cannot be reached or the stream does not exist, 2 for a bad command line.
`;

interface ObserveOptions {
  source: ReturnType<typeof sourceOptions>;
  filter: FlowFilter;
  alerts: boolean;
  since: Date | undefined;
  last: number | undefined;
  follow: boolean;
  format: ObserveFormat;
}

export function parseObserveArgs(args: string[]): ObserveOptions | 'help' {
  const { values: v } = parseFlags({
    args,
    strict: true,
    allowPositionals: false,
    options: {
      ...SOURCE_OPTIONS,
      ...FILTER_OPTIONS,
      alerts: { type: 'boolean' },
      since: { type: 'string' },
      last: { type: 'string' },
      follow: { type: 'boolean', short: 'f' },
      output: { type: 'string', short: 'o' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (v.help) return 'help';
  const source = sourceOptions(v);
  const filter = flowFilter(v);
  const alerts = v.alerts === true;
  if (alerts) {
    const flowOnly = flowOnlyFlags(filter);
    if (flowOnly.length) throw new UsageError(`${flowOnly.join(', ')}: not with --alerts (alerts have no ends' identities, ports or protocol; --ip, --node and --policy apply)`);
  }
  if (v.since !== undefined && v.last !== undefined) throw new UsageError('--since and --last: one or the other');
  const format = (v.output ?? 'table') as ObserveFormat;
  if (!OBSERVE_FORMATS.includes(format)) throw new UsageError(`--output: must be one of ${OBSERVE_FORMATS.join(', ')}`);
  const follow = v.follow === true;
  if (follow && format === 'json') throw new UsageError('--output json: not with --follow (a JSON array needs an end; use jsonl)');
  return {
    source,
    filter,
    alerts,
    since: v.since === undefined ? undefined : sinceTime('--since', v.since),
    last: v.last === undefined ? undefined : wholeNumber('--last', v.last, 1),
    follow,
    format,
  };
}

export async function runObserve(args: string[]): Promise<number> {
  const o = parseObserveArgs(args);
  if (o === 'help') {
    process.stdout.write(OBSERVE_USAGE);
    return 0;
  }
  let nc: NatsConnection;
  try {
    nc = await connectSource(o.source, 'tapline-observe', o.follow);
  } catch (err) {
    return failed(err);
  }
  // Ctrl-C ends --follow cleanly; a reader that goes away (| head) ends any read.
  const interrupt = o.follow ? interruptSignal() : undefined;
  const stop = new AbortController();
  const signal = interrupt ? AbortSignal.any([interrupt.signal, stop.signal]) : stop.signal;
  const out = new Output(o.format, o.alerts);
  const stdoutErrors = (err: NodeJS.ErrnoException): void => {
    if (err.code === 'EPIPE') {
      out.closed = true;
      stop.abort();
    }
  };
  process.stdout.on('error', stdoutErrors);
  try {
    await observe(nc, o, out, signal);
    await out.end();
  } catch (err) {
    if (err instanceof OutputClosed || (err as NodeJS.ErrnoException).code === 'EPIPE') return 0;
    return failed(err);
  } finally {
    process.stdout.off('error', stdoutErrors);
    interrupt?.dispose();
    await nc.close().catch(() => undefined);
  }
  if (out.closed) return 0;
  if (out.invalid > 0) {
    process.stderr.write(`tapline observe: ${out.invalid} messages on the stream's subjects were not flow batches or alerts and were skipped (first: ${out.firstInvalid})\n`);
  }
  if (out.shown === 0 && o.format === 'table') process.stderr.write(`tapline observe: no matching ${o.alerts ? 'alerts' : 'flows'} in stream ${o.source.stream}\n`);
  return 0;
}

/** A failure that is not a bad command line: one line, exit 1. */
function failed(err: unknown): number {
  process.stderr.write(`tapline observe: ${err instanceof Error ? err.message : String(err)}\n`);
  return 1;
}

type Row = { text: string; json: object };

/** The rows an item gives: each matching record of a batch, or the alert. */
function rowsOf(item: StreamItem, o: ObserveOptions, out: Output): Row[] {
  if (item.kind === 'invalid') {
    out.noteInvalid(item);
    return [];
  }
  if (item.kind === 'alert') {
    if (!o.alerts || !alertMatches(o.filter, item.alert)) return [];
    return [{ text: alertTableRow(item.alert), json: alertJson(item.alert, item.time, item.seq) }];
  }
  if (o.alerts || !batchMatches(o.filter, item.batch)) return [];
  const rows: Row[] = [];
  for (const r of item.batch.records) {
    if (recordMatches(o.filter, r)) rows.push({ text: flowTableRow(item.batch, r), json: flowJson(item.batch, r, item.time, item.seq) });
  }
  return rows;
}

async function observe(nc: NatsConnection, o: ObserveOptions, out: Output, signal: AbortSignal | undefined): Promise<void> {
  const stream = o.source.stream;
  const subjects = subjectFilters(o.source.subjectPrefix, [o.alerts ? 'alerts' : 'flows'], o.filter);
  let start: StartAt = o.since ? { at: 'time', time: o.since } : { at: 'all' };
  if (o.last !== undefined) {
    const last = await readLast(nc, { stream, subjects, ...(signal ? { signal } : {}) }, o.last, (item) => rowsOf(item, o, out));
    for (const row of last.items) await out.write(row);
    if (!o.follow) return;
    start = { at: 'seq', seq: last.endSeq + 1 };
  }
  await readStream(nc, { stream, subjects, start, follow: o.follow, ...(signal ? { signal } : {}) }, async (item) => {
    for (const row of rowsOf(item, o, out)) await out.write(row);
  });
}

class Output {
  shown = 0;
  invalid = 0;
  /** stdout's reader went away. */
  closed = false;
  firstInvalid = '';
  private started = false;

  constructor(
    private readonly format: ObserveFormat,
    private readonly alerts: boolean,
  ) {}

  noteInvalid(item: { seq: number; subject: string; reason: string }): void {
    if (this.invalid++ === 0) this.firstInvalid = `seq ${item.seq} on ${item.subject}: ${item.reason}`;
  }

  private async begin(): Promise<void> {
    if (this.started) return;
    this.started = true;
    if (this.format === 'table') await writeStdout(`${this.alerts ? alertTableHeader() : flowTableHeader()}\n`);
    if (this.format === 'json') await writeStdout('[');
  }

  async write(row: Row): Promise<void> {
    if (this.closed) throw new OutputClosed();
    await this.begin();
    switch (this.format) {
      case 'table':
        await writeStdout(`${row.text}\n`);
        break;
      case 'jsonl':
        await writeStdout(`${JSON.stringify(row.json)}\n`);
        break;
      case 'json':
        await writeStdout(`${this.shown === 0 ? '\n' : ',\n'}${JSON.stringify(row.json)}`);
        break;
    }
    this.shown++;
  }

  async end(): Promise<void> {
    if (this.closed) throw new OutputClosed();
    if (this.format === 'json') {
      await this.begin();
      await writeStdout(this.shown === 0 ? ']\n' : '\n]\n');
    } else if (this.format === 'table') {
      await this.begin();
    }
  }
}
