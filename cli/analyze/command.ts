// `tapline analyze FILE`: every flow record of a capture file, as JSON lines
// (stdout) or a top-N table, with a summary on stderr.

import { Engine } from '../../agent/index.js';
import { AlertReport } from '../output/alert-report.js';
import { DETECT_USAGE } from '../output/detect-options.js';
import { flowOutput, writeFlows } from '../output/flow-output.js';
import { natsOutputUsage, withNatsOutput, type NatsOutput } from '../output/nats-output.js';
import { OutputClosed, writeStdout } from '../output/stdout.js';
import { parseAnalyzeArgs, type AnalyzeOptions } from './options.js';
import { ProgressBar } from './progress.js';
import { startLine, summary, unsupportedLinkTypeLine } from './summary.js';

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
${natsOutputUsage('analyze')}${DETECT_USAGE}  -h, --help               this help

exit status: 0 on success (a file cut short mid-packet is reported with a
warning after every complete packet), 1 if the file cannot be read or is
corrupt or (with --nats) a record or alert was not delivered, 2 for a bad
command line.
`;

export async function runAnalyze(args: string[]): Promise<number> {
  const opts = parseAnalyzeArgs(args, process.stdout.isTTY === true, process.stderr.isTTY === true);
  if (opts === 'help') {
    process.stdout.write(ANALYZE_USAGE);
    return 0;
  }
  return analyze(opts);
}

async function analyze(opts: AnalyzeOptions): Promise<number> {
  return withNatsOutput(opts.output, 'analyze', (nats) => analyzeTo(opts, nats));
}

async function analyzeTo(opts: AnalyzeOptions, nats: NatsOutput | undefined): Promise<number> {
  const engine = await Engine.open({
    workers: opts.workers,
    maxFlows: opts.maxFlows,
    idleTimeoutMs: Math.round(opts.idleTimeout * 1000),
    activeTimeoutMs: Math.round(opts.activeTimeout * 1000),
    ...(opts.filter !== undefined ? { filter: opts.filter } : {}),
    ...(opts.detectors !== undefined ? { detectors: opts.detectors } : {}),
    source: { kind: 'file', path: opts.file },
  });
  const alerts = AlertReport.forRun(opts.detectors !== undefined, nats);
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
    alerts?.watch(engine);
    progress?.start();
    const out = flowOutput(nats, true, opts.format, opts.top);
    try {
      await writeFlows(engine, out);
    } catch (err) {
      if (!(err instanceof OutputClosed)) throw err;
      return 0;
    }
    progress?.stop();
    if (out.kind === 'table') await writeStdout(out.top.render());
    await engine.close();
    alerts?.finish();
    const wall = Number(process.hrtime.bigint() - t0) / 1e9;
    return report(engine, wall, interrupted, alerts);
  } finally {
    alerts?.stop();
    progress?.stop();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    process.stdout.off('error', stdoutErrors);
    await engine.close();
  }
}

function report(engine: Engine, wallSeconds: number, interrupted: boolean, alerts: AlertReport | undefined): number {
  const stats = engine.stats();
  const info = engine.info();
  const err = process.stderr;
  err.write(summary(stats, wallSeconds));
  if (alerts) err.write(alerts.summaryLine(stats));
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
