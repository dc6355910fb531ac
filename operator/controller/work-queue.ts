// A keyed work queue with client-go's workqueue semantics:
//   - a key waiting in the queue is there once, however often it is added (dedupe);
//   - a key being processed is never handed out again until done(); adding it meanwhile marks it
//     dirty, and done() puts it back, so the latest state is always reconciled once more;
//   - addRateLimited() delays a failed key by the rate limiter; forget() resets its backoff.
import { RateLimiter } from './rate-limiter.js';

export class WorkQueue {
  readonly #queue: string[] = [];
  readonly #dirty = new Set<string>();
  readonly #processing = new Set<string>();
  readonly #timers = new Map<string, { at: number; timer: NodeJS.Timeout }>();
  readonly #waiters: ((key: string | undefined) => void)[] = [];
  #shuttingDown = false;

  constructor(
    readonly rateLimiter: RateLimiter = new RateLimiter(),
    private readonly onDepth: (depth: number) => void = () => {},
  ) {}

  add(key: string): void {
    if (this.#shuttingDown || this.#dirty.has(key)) return;
    this.#dirty.add(key);
    if (this.#processing.has(key)) return;
    const waiter = this.#waiters.shift();
    if (waiter) {
      this.#dirty.delete(key);
      this.#processing.add(key);
      waiter(key);
    } else {
      this.#queue.push(key);
    }
    this.onDepth(this.#queue.length);
  }

  /** Adds `key` after `ms`; an earlier pending delay for the same key wins. */
  addAfter(key: string, ms: number): void {
    if (this.#shuttingDown) return;
    if (ms <= 0) return this.add(key);
    const at = Date.now() + ms;
    const pending = this.#timers.get(key);
    if (pending && pending.at <= at) return;
    if (pending) clearTimeout(pending.timer);
    const timer = setTimeout(() => {
      this.#timers.delete(key);
      this.add(key);
    }, ms);
    timer.unref();
    this.#timers.set(key, { at, timer });
  }

  /** Retries `key` after its backoff; returns the delay. */
  addRateLimited(key: string): number {
    const d = this.rateLimiter.when(key);
    this.addAfter(key, d);
    return d;
  }

  forget(key: string): void {
    this.rateLimiter.forget(key);
  }

  /** The next key to process (now marked processing), or undefined once shut down or woken by wakeWaiters(). */
  get(): Promise<string | undefined> {
    const key = this.#queue.shift();
    if (key !== undefined) {
      this.#dirty.delete(key);
      this.#processing.add(key);
      this.onDepth(this.#queue.length);
      return Promise.resolve(key);
    }
    if (this.#shuttingDown) return Promise.resolve(undefined);
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  /** Processing of `key` finished; a key added meanwhile goes back into the queue. */
  done(key: string): void {
    this.#processing.delete(key);
    if (this.#dirty.has(key)) {
      this.#dirty.delete(key);
      this.add(key);
    }
  }

  /** Keys waiting (not processing, not delayed). */
  len(): number {
    return this.#queue.length;
  }

  isProcessing(key: string): boolean {
    return this.#processing.has(key);
  }

  /** Wakes every waiting get() with undefined without shutting down (workers that should stop). */
  wakeWaiters(): void {
    for (const w of this.#waiters.splice(0)) w(undefined);
  }

  /** Wakes every waiting get() with undefined; keys left are dropped. */
  shutDown(): void {
    this.#shuttingDown = true;
    for (const { timer } of this.#timers.values()) clearTimeout(timer);
    this.#timers.clear();
    for (const w of this.#waiters.splice(0)) w(undefined);
  }
}
