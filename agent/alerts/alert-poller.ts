// Moves alert events from the engine to the exporter on a timer (events are few: one per state
// change of an attack, and periodic heavy-hitter reports), and once more after the capture ends.
import type { Logger } from 'pino';

import type { AlertEvent } from '../engine/alert-event.js';

export class AlertPoller {
  private timer: NodeJS.Timeout | undefined;
  private count = 0;

  constructor(
    private readonly drain: () => AlertEvent[],
    private readonly publish: (e: AlertEvent) => void,
    private readonly log: Logger,
    private readonly intervalMs = 250,
  ) {}

  get drained(): number {
    return this.count;
  }

  start(): void {
    this.timer = setInterval(() => this.poll(), this.intervalMs);
    this.timer.unref();
  }

  /** Takes whatever the engine has now. */
  poll(): void {
    const events = this.drain();
    for (const e of events) {
      this.publish(e);
      if (e.state !== 'updated' && e.state !== 'report') this.log.info({ alert: e.id, type: e.type, state: e.state, key: e.key }, 'alert');
    }
    this.count += events.length;
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}
