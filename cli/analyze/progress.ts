// A one-line progress bar on stderr (only when it is a terminal), driven by
// how much of the file has been read.
import type { EngineStats } from '../../agent/engine/stats.js';
import { rate, thousands } from '../format.js';

export class ProgressBar {
  private timer: NodeJS.Timeout | undefined;
  private readonly t0 = process.hrtime.bigint();

  constructor(private readonly read: () => EngineStats) {}

  start(): void {
    this.timer = setInterval(() => this.draw(), 200);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    process.stderr.write('\r\x1b[2K');
  }

  private draw(): void {
    const s = this.read();
    const size = Number(s.input.fileSize ?? 0n);
    const frac = size > 0 ? Math.min(1, Number(s.input.bytesRead ?? 0n) / size) : 0;
    const width = 30;
    const filled = Math.round(frac * width);
    const secs = Number(process.hrtime.bigint() - this.t0) / 1e9;
    process.stderr.write(
      `\r\x1b[2K[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${(frac * 100).toFixed(0).padStart(3)}%  ${thousands(s.packets)} packets  ${rate(s.packets, secs)} packets/s`,
    );
  }
}
