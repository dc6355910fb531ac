// The keyed work queue and its rate limiter (client-go workqueue semantics), on real timers.
import { describe, expect, it } from 'vitest';
import { Backoff } from '../../operator/controller/backoff.js';
import { RateLimiter, TokenBucket } from '../../operator/controller/rate-limiter.js';
import { WorkQueue } from '../../operator/controller/work-queue.js';

describe('WorkQueue', () => {
  it('holds a waiting key once however often it is added, in FIFO order', async () => {
    const depths: number[] = [];
    const q = new WorkQueue(undefined, (d) => depths.push(d));
    for (const k of ['a', 'b', 'a', 'c', 'b', 'a']) q.add(k);
    expect(q.len()).toBe(3);
    expect([await q.get(), await q.get(), await q.get()]).toEqual(['a', 'b', 'c']);
    expect(Math.max(...depths)).toBe(3);
  });

  it('never hands out a key being processed; a key added meanwhile comes back once after done()', async () => {
    const q = new WorkQueue();
    q.add('a');
    const k = await q.get();
    expect(k).toBe('a');
    q.add('a');
    q.add('a');
    expect(q.len()).toBe(0); // dirty, not queued, while processing
    q.add('b');
    expect(await q.get()).toBe('b');
    q.done('a');
    expect(q.len()).toBe(1);
    expect(await q.get()).toBe('a');
    q.done('a');
    expect(q.len()).toBe(0);
  });

  it('wakes a waiting get() when a key arrives, and every waiter with undefined on shutDown', async () => {
    const q = new WorkQueue();
    const waiting = q.get();
    q.add('x');
    expect(await waiting).toBe('x');
    const w1 = q.get();
    const w2 = q.get();
    q.shutDown();
    expect(await w1).toBeUndefined();
    expect(await w2).toBeUndefined();
    q.add('y');
    expect(q.len()).toBe(0);
  });

  it('re-adds a failed key after its backoff, and an earlier pending delay wins', async () => {
    const q = new WorkQueue(new RateLimiter({ baseDelayMs: 30, maxDelayMs: 1000, qps: 1000, burst: 1000 }));
    const t0 = Date.now();
    expect(q.addRateLimited('k')).toBe(30);
    q.addAfter('k', 5_000); // later: ignored
    expect(await q.get()).toBe('k');
    expect(Date.now() - t0).toBeGreaterThanOrEqual(25);
    expect(Date.now() - t0).toBeLessThan(1_000);
  });
});

describe('RateLimiter', () => {
  it('doubles the per-key delay up to the cap, independently per key, and forget() resets it', () => {
    const r = new RateLimiter({ baseDelayMs: 100, maxDelayMs: 1_000, qps: 1e6, burst: 1e6 });
    expect([r.when('a'), r.when('a'), r.when('a'), r.when('a'), r.when('a'), r.when('a')]).toEqual([100, 200, 400, 800, 1000, 1000]);
    expect(r.when('b')).toBe(100);
    expect(r.failures('a')).toBe(6);
    r.forget('a');
    expect(r.when('a')).toBe(100);
  });

  it('bounds the overall retry rate with a token bucket', () => {
    let now = 0;
    const r = new RateLimiter({ baseDelayMs: 1, maxDelayMs: 1_000, qps: 10, burst: 3 }, () => now);
    const delays = ['a', 'b', 'c', 'd', 'e'].map((k) => r.when(k));
    expect(delays.slice(0, 3)).toEqual([1, 1, 1]); // the burst
    expect(delays[3]).toBe(100); // then 10 per second
    expect(delays[4]).toBe(200);
    now = 10_000;
    expect(r.when('f')).toBe(1);
  });

  it('token bucket refills at qps up to burst', () => {
    let now = 0;
    const b = new TokenBucket(2, 2, () => now);
    expect([b.reserve(), b.reserve(), b.reserve()]).toEqual([0, 0, 500]);
    now = 5_000;
    expect([b.reserve(), b.reserve(), b.reserve()]).toEqual([0, 0, 500]);
  });
});

describe('Backoff', () => {
  it('grows exponentially to the cap with jitter below the nominal delay', () => {
    const b = new Backoff({ initialMs: 100, maxMs: 1_000, jitter: 0.5 }, () => 1);
    expect([b.next(), b.next(), b.next(), b.next(), b.next()]).toEqual([50, 100, 200, 400, 500]);
    b.reset();
    const noJitter = new Backoff({ initialMs: 100, maxMs: 1_000, jitter: 0.5 }, () => 0);
    expect(noJitter.next()).toBe(100);
  });
});

describe('WorkQueue.wakeWaiters', () => {
  it('releases idle workers with undefined but keeps the queue working', async () => {
    const q = new WorkQueue();
    const idle = q.get();
    q.wakeWaiters();
    expect(await idle).toBeUndefined();
    q.add('k');
    expect(await q.get()).toBe('k');
  });
});
