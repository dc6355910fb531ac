// `--detect`: the detectors' alert events as the command line shows them — one line each on
// stderr (type, state, key, observed/threshold), handed on to NATS with --nats, and counted for
// the summary. The events come from the engine through the agent's poller (agent/alerts/), which
// takes them on a timer while the capture runs and once more after the engine is closed (a
// finished input resolves every open attack then).
import { pino } from 'pino';

import { AlertPoller } from '../../agent/alerts/alert-poller.js';
import type { AlertEvent, AlertState } from '../../agent/engine/alert-event.js';
import type { Engine } from '../../agent/engine/engine.js';
import type { EngineStats } from '../../agent/engine/stats.js';
import { thousands } from '../format.js';

function amount(n: number): string {
  return Number.isInteger(n) ? thousands(n) : n.toLocaleString('en-US', { maximumFractionDigits: 1 });
}

function keyText(key: AlertEvent['key']): string {
  const parts = [key.src !== undefined ? `src ${key.src}` : '', key.dst !== undefined ? `dst ${key.dst}` : ''].filter((p) => p !== '');
  return parts.length > 0 ? parts.join(' ') : '-';
}

/** One alert event as a line: `alert syn_flood raised dst 10.9.9.9: syns_per_second 6,000 (threshold 5,000) over 10 s, FIRST..LAST`. */
export function alertLine(e: AlertEvent): string {
  const seen = `${new Date(e.firstSeenMs).toISOString()}..${new Date(e.lastSeenMs).toISOString()}`;
  return `alert ${e.type} ${e.state} ${keyText(e.key)}: ${e.metric} ${amount(e.observed)} (threshold ${amount(e.threshold)}) over ${amount(e.windowMs / 1000)} s, ${seen}\n`;
}

export class AlertReport {
  private readonly counts: Record<AlertState, number> = { raised: 0, updated: 0, resolved: 0, report: 0 };
  private poller: AlertPoller | undefined;

  /** `publish`: where each event goes besides stderr (the NATS output), if anywhere. */
  constructor(private readonly publish?: (e: AlertEvent) => void) {}

  /** The report for --detect (publishing to `nats` when given), or undefined without it. */
  static forRun(detect: boolean, nats: { publishAlert(e: AlertEvent): void } | undefined): AlertReport | undefined {
    if (!detect) return undefined;
    return new AlertReport(nats ? (e) => nats.publishAlert(e) : undefined);
  }

  /** Starts taking the engine's events (call after engine.start()). */
  watch(engine: Engine): void {
    const quiet = pino({ level: 'silent' });
    this.poller = new AlertPoller(() => engine.drainAlerts(), (e) => this.handle(e), quiet);
    this.poller.start();
  }

  /** The last events, after engine.close() (every attack of a finished input is resolved by then). */
  finish(): void {
    this.stop();
    this.poller?.poll();
  }

  stop(): void {
    this.poller?.stop();
  }

  handle(e: AlertEvent): void {
    this.counts[e.state]++;
    process.stderr.write(`${process.stderr.isTTY ? '\r\x1b[2K' : ''}${alertLine(e)}`);
    this.publish?.(e);
  }

  get total(): number {
    return this.counts.raised + this.counts.updated + this.counts.resolved + this.counts.report;
  }

  /** The summary's `alerts` line, with the events the engine had to drop (nobody took them in time). */
  summaryLine(stats: EngineStats): string {
    const c = this.counts;
    const dropped = stats.alerts?.dropped ?? 0n;
    return (
      `  alerts      ${thousands(this.total)} (raised ${thousands(c.raised)}, updated ${thousands(c.updated)}, resolved ${thousands(c.resolved)}` +
      `${c.report > 0 ? `, reports ${thousands(c.report)}` : ''})${dropped > 0n ? `, dropped ${thousands(dropped)}` : ''}\n`
    );
  }
}
