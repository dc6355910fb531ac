// `tapline top --nats URL [filters]`: a live view of the stream, redrawn every second on a
// terminal (alternate screen, plain ANSI sequences; q or Ctrl-C quits and gives the terminal back
// as it was; a resize redraws at the new size), or, when stdout is not a terminal or with --batch,
// a plain-text frame every interval for logs.
import type { NatsConnection } from '@nats-io/transport-node';

import { redactUrl } from '../../agent/export/connection.js';
import { connectSource, SOURCE_OPTIONS, SOURCE_USAGE, sourceOptions } from '../flows/connect.js';
import { FILTER_OPTIONS, FILTER_USAGE, flowFilter, subjectFilters, type FlowFilter } from '../flows/filter.js';
import { interruptSignal, parseDuration, sinceTime, wholeNumber } from '../flows/options.js';
import { streamState, type StartAt } from '../flows/reader.js';
import { parseFlags } from '../parse-flags.js';
import { UsageError } from '../usage-error.js';
import { watchStream, type StreamWatch } from './live.js';
import { renderFrame } from './render.js';

export const TOP_USAGE = `usage: tapline top --nats URL [options]

A live view of the flows and alerts in the Tapline JetStream stream, redrawn
every second: flows, packets and bytes per second (by the time the stream
stored each batch), per node; top talkers by workload and by address; TCP
latency percentiles (handshake SYN -> SYN/ACK and smallest RTT); end reasons;
the alerts' life cycle (active, resolved) and the latest heavy hitters. Rates,
talkers and latency are over the last --window; counts since it started.
On a terminal: q or Ctrl-C quits. Otherwise (or with --batch): a plain-text
frame every --interval.

${SOURCE_USAGE}
${FILTER_USAGE}  (--node, --policy and --ip also filter the alerts)

view:
      --window D           rates, talkers and latency over the last D (default 10s)
      --since D|TIME       read from D ago or TIME (default: one window ago)
      --interval D         time between frames (default 1s)
  -b, --batch              plain-text frames, no terminal control
      --iterations N       stop after N frames (exit 0)
      --width N            batch mode: frame width (default: the terminal's, or 120)
  -h, --help               this help

exit status: 0 on q, Ctrl-C, SIGTERM or after --iterations; 1 if NATS cannot be
reached, the stream does not exist or the read fails; 2 for a bad command line.
`;

interface TopOptions {
  source: ReturnType<typeof sourceOptions>;
  filter: FlowFilter;
  windowSeconds: number;
  since: Date;
  intervalMs: number;
  batch: boolean;
  iterations: number | undefined;
  width: number | undefined;
}

function durationFlag(flag: string, s: string, minMs: number, maxMs: number): number {
  const d = parseDuration(s);
  if (d === undefined || d < minMs || d > maxMs) throw new UsageError(`${flag}: must be a duration from ${minMs / 1000}s to ${maxMs / 1000}s (like 500ms, 10s, 5m)`);
  return d;
}

export function parseTopArgs(args: string[], now = Date.now()): TopOptions | 'help' {
  const { values: v } = parseFlags({
    args,
    strict: true,
    allowPositionals: false,
    options: {
      ...SOURCE_OPTIONS,
      ...FILTER_OPTIONS,
      window: { type: 'string' },
      since: { type: 'string' },
      interval: { type: 'string' },
      batch: { type: 'boolean', short: 'b' },
      iterations: { type: 'string' },
      width: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (v.help) return 'help';
  const source = sourceOptions(v);
  const filter = flowFilter(v);
  const windowMs = v.window === undefined ? 10_000 : durationFlag('--window', v.window, 1000, 3_600_000);
  return {
    source,
    filter,
    windowSeconds: Math.round(windowMs / 1000),
    since: v.since === undefined ? new Date(now - windowMs) : sinceTime('--since', v.since, now),
    intervalMs: v.interval === undefined ? 1000 : durationFlag('--interval', v.interval, 100, 3_600_000),
    batch: v.batch === true,
    iterations: v.iterations === undefined ? undefined : wholeNumber('--iterations', v.iterations, 1),
    width: v.width === undefined ? undefined : wholeNumber('--width', v.width, 20, 1000),
  };
}

export async function runTop(args: string[]): Promise<number> {
  const o = parseTopArgs(args);
  if (o === 'help') {
    process.stdout.write(TOP_USAGE);
    return 0;
  }
  let nc: NatsConnection;
  try {
    nc = await connectSource(o.source, 'tapline-top', true);
  } catch (err) {
    process.stderr.write(`tapline top: ${(err as Error).message}\n`);
    return 1;
  }
  let watch: StreamWatch | undefined;
  try {
    await streamState(nc, o.source.stream); // a missing stream is an error before the screen changes
    const start: StartAt = { at: 'time', time: o.since };
    watch = await watchStream(nc, {
      stream: o.source.stream,
      subjects: subjectFilters(o.source.subjectPrefix, ['flows', 'alerts'], o.filter),
      filter: o.filter,
      start,
      windowSeconds: o.windowSeconds,
    });
    const title = `${o.source.stream} @ ${o.source.servers.map(redactUrl).join(',')}`;
    const interactive = !o.batch && process.stdout.isTTY === true;
    return interactive ? await interactiveView(watch, o, title) : await batchView(watch, o, title);
  } catch (err) {
    process.stderr.write(`tapline top: ${(err as Error).message}\n`);
    return 1;
  } finally {
    await watch?.close();
    await nc.close().catch(() => undefined);
  }
}

/** Waits for the next frame or the stop signal, whichever comes first. */
function tick(ms: number, stop: AbortSignal): Promise<void> {
  return new Promise<void>((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      stop.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    stop.addEventListener('abort', done, { once: true });
  });
}

/** A signal that aborts when the read fails, and a check that throws its error. */
function readFailure(watch: StreamWatch): { signal: AbortSignal; check(): void } {
  const ac = new AbortController();
  let error: unknown;
  watch.done.catch((err: unknown) => {
    error = err;
    ac.abort();
  });
  return {
    signal: ac.signal,
    check() {
      if (ac.signal.aborted) throw error instanceof Error ? error : new Error(String(error));
    },
  };
}

async function batchView(watch: StreamWatch, o: TopOptions, title: string): Promise<number> {
  const interrupt = interruptSignal();
  const failure = readFailure(watch);
  const stop = AbortSignal.any([interrupt.signal, failure.signal]);
  const width = o.width ?? (process.stdout.isTTY ? process.stdout.columns : 120);
  try {
    for (let frame = 1; ; frame++) {
      await tick(o.intervalMs, stop);
      failure.check();
      if (stop.aborted) return 0;
      const lines = renderFrame(watch.model, { width, now: Date.now(), title });
      process.stdout.write(`${frame > 1 ? '\n' : ''}${lines.join('\n')}\n`);
      if (o.iterations !== undefined && frame >= o.iterations) return 0;
    }
  } finally {
    interrupt.dispose();
  }
}

// Terminal control: the alternate screen, cursor hidden, home, erase to the end of the line/screen.
const ENTER = '\x1b[?1049h\x1b[?25l';
const LEAVE = '\x1b[?25h\x1b[?1049l';
const HOME = '\x1b[H';
const EOL = '\x1b[K';
const EOS = '\x1b[J';

async function interactiveView(watch: StreamWatch, o: TopOptions, title: string): Promise<number> {
  const out = process.stdout;
  const stdin = process.stdin;
  const interrupt = interruptSignal();
  const quit = new AbortController();
  const failure = readFailure(watch);
  const stop = AbortSignal.any([interrupt.signal, quit.signal, failure.signal]);
  const onKey = (d: Buffer): void => {
    const k = d.toString('utf8');
    if (k === 'q' || k === 'Q' || k === '\x03' /* Ctrl-C in raw mode */) quit.abort();
  };
  const draw = (): void => {
    const lines = renderFrame(watch.model, { width: out.columns || 80, height: out.rows || 24, now: Date.now(), title, hint: 'q quits' });
    out.write(`${HOME}${lines.join(`${EOL}\n`)}${EOL}${EOS}`);
  };
  const raw = stdin.isTTY === true;
  const restore = (): void => {
    if (raw) stdin.setRawMode(false);
    out.write(LEAVE);
  };
  // A crash must not leave the terminal in raw mode on the alternate screen.
  process.once('exit', restore);
  out.write(ENTER);
  if (raw) stdin.setRawMode(true);
  stdin.on('data', onKey);
  stdin.resume();
  out.on('resize', draw);
  try {
    let frame = 0;
    draw();
    while (!stop.aborted) {
      await tick(o.intervalMs, stop);
      if (stop.aborted) break;
      draw();
      if (o.iterations !== undefined && ++frame >= o.iterations) break;
    }
    failure.check();
    return 0;
  } finally {
    out.off('resize', draw);
    stdin.off('data', onKey);
    stdin.pause();
    process.off('exit', restore);
    restore();
    interrupt.dispose();
  }
}
