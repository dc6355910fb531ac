// Exponential backoff with full jitter (as client-go's wait.Backoff with Jitter), and an
// abortable sleep.

export interface BackoffOptions {
  initialMs: number;
  maxMs: number;
  factor?: number;
  /** 0..1: the delay is drawn from [d*(1-jitter), d]. */
  jitter?: number;
}

export class Backoff {
  #attempt = 0;
  constructor(
    private readonly o: BackoffOptions,
    private readonly random: () => number = Math.random,
  ) {}

  /** The delay before the next attempt; grows with each call until reset(). */
  next(): number {
    const d = Math.min(this.o.maxMs, this.o.initialMs * (this.o.factor ?? 2) ** this.#attempt);
    this.#attempt++;
    const jitter = this.o.jitter ?? 0.5;
    return Math.round(d * (1 - jitter * this.random()));
  }

  reset(): void {
    this.#attempt = 0;
  }

  get attempts(): number {
    return this.#attempt;
  }
}

/** Resolves after `ms`, or early (without throwing) when the signal aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
