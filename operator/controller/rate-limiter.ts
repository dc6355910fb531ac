// Retry delays for the work queue, as client-go's DefaultControllerRateLimiter: the larger of a
// per-key exponential backoff (base * 2^failures, capped) and a global token bucket (qps, burst)
// that bounds the retry rate over all keys together.

export interface RateLimiterOptions {
  baseDelayMs: number;
  maxDelayMs: number;
  qps: number;
  burst: number;
}

export const DEFAULT_RATE_LIMIT: RateLimiterOptions = { baseDelayMs: 200, maxDelayMs: 5 * 60_000, qps: 10, burst: 100 };

/** A token bucket; reserve() takes a token now or later and says how long to wait for it. */
export class TokenBucket {
  #tokens: number;
  #last: number;
  constructor(
    private readonly qps: number,
    private readonly burst: number,
    private readonly now: () => number = Date.now,
  ) {
    this.#tokens = burst;
    this.#last = now();
  }

  /** Milliseconds until the reserved token is available (0: now). Tokens may go negative (reservations). */
  reserve(): number {
    const t = this.now();
    this.#tokens = Math.min(this.burst, this.#tokens + ((t - this.#last) / 1000) * this.qps);
    this.#last = t;
    this.#tokens -= 1;
    return this.#tokens >= 0 ? 0 : Math.ceil((-this.#tokens / this.qps) * 1000);
  }

  /** Takes a token if one is available now (no reservation): false means over the rate. */
  tryTake(): boolean {
    const t = this.now();
    this.#tokens = Math.min(this.burst, this.#tokens + ((t - this.#last) / 1000) * this.qps);
    this.#last = t;
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }
}

export class RateLimiter {
  readonly #failures = new Map<string, number>();
  readonly #bucket: TokenBucket;

  constructor(
    private readonly o: RateLimiterOptions = DEFAULT_RATE_LIMIT,
    now: () => number = Date.now,
  ) {
    this.#bucket = new TokenBucket(o.qps, o.burst, now);
  }

  /** The delay before retrying `key`, counting one more failure. */
  when(key: string): number {
    const n = this.#failures.get(key) ?? 0;
    this.#failures.set(key, n + 1);
    const perKey = Math.min(this.o.maxDelayMs, this.o.baseDelayMs * 2 ** Math.min(n, 30));
    return Math.max(perKey, this.#bucket.reserve());
  }

  failures(key: string): number {
    return this.#failures.get(key) ?? 0;
  }

  /** Success: the key's next failure starts from the base delay again. */
  forget(key: string): void {
    this.#failures.delete(key);
  }
}
