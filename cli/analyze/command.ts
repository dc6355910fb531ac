// `tapline analyze FILE`: every flow record of a capture file, as JSON lines
// (stdout) or a top-N table, with a summary on stderr.

import { pino } from 'pino';

import { Engine } from '../../agent/engine/engine.js';
import { Exporter } from '../../agent/export/exporter.js';
import { commandLineExportSettings } from '../../agent/export/options.js';
import { OutputClosed, writeStdout } from '../output/stdout.js';
import { NATS_OUTPUT_USAGE, parseAnalyzeArgs, type AnalyzeOptions, type NatsOutputOptions } from './options.js';
import { ProgressBar } from './progress.js';
import { startLine, summary, unsupportedLinkTypeLine } from './summary.js';
import { TopFlows } from './top-flows.js';

export const ANALYZE_USAGE = `usage: tapline analyze FILE [options]

Reads a pcap or pcapng capture (plain or gzip-compressed) and writes one flow
record per flow: JSON lines (default when stdout is not a terminal) or a table
of the top flows by bytes. A summary goes to stderr.

options:
  -w, --workers N          worker threads (default 1)
  -f, --format jsonl|table output format (default: table on a terminal, else jsonl)
      --idle-timeout S     end a flow after S seconds without packets (default 15)
      --active-timeout S   export a long flow every S seconds (default 1800)
      --max-flows N        flow-table capacity over all workers (default 1048576)
      --top N              rows of the table format (default 20)
      --filter EXPR        only packets this tcpdump-syntax filter selects
      --no-progress        no progress bar on a terminal
${NATS_OUTPUT_USAGE}  -h, --help               this help

exit status: 0 on success (a file cut short mid-packet is reported with a
warning after every complete packet), 1 if the file cannot be read or is
corrupt or (with --nats) a record was not delivered, 2 for a bad command line.
`;

export async function runAnalyze(args: string[]): Promise<number> {
  const opts = parseAnalyzeArgs(args, process.stdout.isTTY === true, process.stderr.isTTY === true);
  if (opts === 'help') {
    process.stdout.write(ANALYZE_USAGE);
    return 0;
  }
  return analyze(opts);
}

/** --nats: connect and check the stream before reading anything. */
async function openExporter(o: NatsOutputOptions): Promise<Exporter> {
  const log = pino({ level: 'warn', base: { component: 'analyze' } }, pino.destination(2));
  return Exporter.open(commandLineExportSettings({ servers: o.nats, stream: o.stream, subjectPrefix: o.subjectPrefix, createStream: o.createStream, node: o.node }), log);
}

async function analyze(opts: AnalyzeOptions): Promise<number> {
  const exporter = opts.output ? await openExporter(opts.output) : undefined;
  try {
    const code = await analyzeTo(opts, exporter);
    return exporter ? Math.max(code, await finishExport(exporter)) : code;
  } finally {
    await exporter?.close();
  }
}

/** Waits for every acknowledgement; 1 if any record was not delivered. */
async function finishExport(x: Exporter): Promise<number> {
  const r = await x.flush(60_000);
  const s = x.stats();
  const lost = s.droppedRecords.flows + s.rejectedRecords.flows;
  process.stderr.write(`published ${s.publishedRecords.flows} records in ${s.publishedMessages.flows} messages to stream ${x.settings.stream} (${x.settings.subjects.flows})\n`);
  if (!r.delivered || lost > 0) {
    process.stderr.write(`tapline analyze: ${r.pendingRecords + lost} records were not delivered to NATS\n`);
    return 1;
  }
  return 0;
}

async function analyzeTo(opts: AnalyzeOptions, exporter: Exporter | undefined): Promise<number> {
  const engine = await Engine.open({
    workers: opts.workers,
    maxFlows: opts.maxFlows,
    idleTimeoutMs: Math.round(opts.idleTimeout * 1000),
    activeTimeoutMs: Math.round(opts.activeTimeout * 1000),
    ...(opts.filter !== undefined ? { filter: opts.filter } : {}),
    source: { kind: 'file', path: opts.file },
  });
  const stdoutErrors = (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') engine.stop();
  };
  process.stdout.on('error', stdoutErrors);
  let interrupted = false;
  const onSignal = () => {
    if (interrupted) process.exit(130); // a second ^C: leave now
    interrupted = true;
    engine.stop(); // live flows are flushed with reason "shutdown"
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const progress = opts.progress ? new ProgressBar(() => engine.stats()) : null;
  const t0 = process.hrtime.bigint();
  try {
    process.stderr.write(startLine(opts.file, engine.info(), engine.stats()));
    engine.start();
    progress?.start();
    const top = opts.format === 'table' && !exporter ? new TopFlows(opts.top) : null;
    try {
      if (exporter) {
        for await (const batch of engine.batches('jsonl')) await exporter.publishFlowsPaced(batch.data);
      } else {
        for await (const batch of engine.batches(top ? 'packed' : 'jsonl')) {
          if (top) top.add(batch.data);
          else await writeStdout(batch.data);
        }
      }
    } catch (err) {
      if (!(err instanceof OutputClosed)) throw err;
      return 0;
    }
    progress?.stop();
    if (top) await writeStdout(top.render());
    await engine.close();
    const wall = Number(process.hrtime.bigint() - t0) / 1e9;
    return report(engine, wall, interrupted);
  } finally {
    progress?.stop();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    process.stdout.off('error', stdoutErrors);
    await engine.close();
  }
}

function report(engine: Engine, wallSeconds: number, interrupted: boolean): number {
  const stats = engine.stats();
  const info = engine.info();
  const err = process.stderr;
  err.write(summary(stats, wallSeconds));
  const linkType = unsupportedLinkTypeLine(stats);
  if (linkType) err.write(`tapline analyze: warning: ${linkType}\n`);
  if (interrupted) err.write('tapline analyze: interrupted: live flows were exported with end reason "shutdown"\n');
  if (info.inputTruncated) {
    err.write(`tapline analyze: warning: ${info.inputError}; every complete packet before it was analyzed\n`);
    return 0;
  }
  if (info.inputError) {
    err.write(`tapline analyze: corrupt capture: ${info.inputError}; records above cover the packets before it\n`);
    return 1;
  }
  return 0;
}
