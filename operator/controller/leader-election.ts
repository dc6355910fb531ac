// Leader election on a coordination.k8s.io/v1 Lease, as client-go's leaderelection package:
//   - a candidate takes the Lease when it is free (no holder) or expired: the holder has not
//     renewed it for leaseDuration, measured on OUR clock from when we last saw the record change
//     (so clock skew between replicas does not matter);
//   - the leader renews every retryPeriod; if it cannot renew within renewDeadline it stops
//     leading (onStoppedLeading) before the lease can expire for the others;
//   - every write carries the resourceVersion read, so two candidates never both win (409);
//   - release() on shutdown clears the holder so a standby takes over at once.
import type { Logger } from 'pino';
import { z } from 'zod';
import { sleep } from './backoff.js';
import { isConflictError, isNotFoundError } from './errors.js';
import type { KubeClient } from './kube-client.js';

export const LeaseSchema = z.looseObject({
  metadata: z.looseObject({ name: z.string(), namespace: z.string(), resourceVersion: z.string() }),
  spec: z
    .looseObject({
      holderIdentity: z.string().nullish(),
      leaseDurationSeconds: z.int().nullish(),
      acquireTime: z.string().nullish(),
      renewTime: z.string().nullish(),
      leaseTransitions: z.int().nullish(),
    })
    .default({}),
});
export type Lease = z.output<typeof LeaseSchema>;

export interface LeaderElectionOptions {
  client: KubeClient;
  namespace: string;
  name: string;
  identity: string;
  leaseDurationMs?: number;
  renewDeadlineMs?: number;
  retryPeriodMs?: number;
  log: Logger;
  onStartedLeading: () => void;
  onStoppedLeading: () => void;
  onNewLeader?: (identity: string) => void;
}

/** metav1.MicroTime: RFC 3339 with exactly six fractional digits. */
export function microTime(d: Date): string {
  return d.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

export class LeaderElector {
  readonly #o: Required<Omit<LeaderElectionOptions, 'onNewLeader'>> & Pick<LeaderElectionOptions, 'onNewLeader'>;
  #lease: Lease | undefined;
  /** When (our clock) the holder/renewTime we last read changed. */
  #observedAt = 0;
  #observedRecord = '';
  #leading = false;
  #lastRenew = 0;
  #lastLeader = '';
  readonly #abort = new AbortController();
  #running: Promise<void> | undefined;

  constructor(o: LeaderElectionOptions) {
    this.#o = { leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000, ...o };
    if (this.#o.leaseDurationMs <= this.#o.renewDeadlineMs) throw new RangeError('leaseDuration must be greater than renewDeadline');
    if (this.#o.renewDeadlineMs <= this.#o.retryPeriodMs * 1.2) throw new RangeError('renewDeadline must be greater than retryPeriod*1.2');
  }

  isLeader(): boolean {
    return this.#leading;
  }

  get #path(): string {
    return `/apis/coordination.k8s.io/v1/namespaces/${this.#o.namespace}/leases`;
  }

  start(): void {
    this.#running ??= this.#loop();
  }

  /** Stops campaigning; a leader releases the Lease (best effort) so a standby need not wait for expiry. */
  async stop(): Promise<void> {
    this.#abort.abort();
    await this.#running;
    if (this.#leading) {
      this.#setLeading(false);
      await this.#release();
    }
  }

  async #loop(): Promise<void> {
    const signal = this.#abort.signal;
    while (!signal.aborted) {
      const now = Date.now();
      let ok = false;
      try {
        ok = await this.#tryAcquireOrRenew();
      } catch (e) {
        if (!isConflictError(e)) this.#o.log.warn({ err: (e as Error).message, lease: this.#o.name }, 'leader election: lease request failed');
      }
      if (ok) {
        this.#lastRenew = now;
        if (!this.#leading) this.#setLeading(true);
      } else if (this.#leading && this.#lastLeader !== this.#o.identity) {
        // Another holder with an unexpired lease: it is not ours any more, whatever the deadline says.
        this.#o.log.error({ lease: this.#o.name, holder: this.#lastLeader }, 'leader election: the lease has another holder: stopping leading');
        this.#setLeading(false);
      } else if (this.#leading && Date.now() - this.#lastRenew > this.#o.renewDeadlineMs) {
        this.#o.log.error({ lease: this.#o.name, renewDeadlineMs: this.#o.renewDeadlineMs }, 'leader election: could not renew the lease in time: stopping leading');
        this.#setLeading(false);
      }
      // client-go: JitterUntil(retryPeriod, 1.2) while acquiring; renew every retryPeriod.
      const wait = this.#leading ? this.#o.retryPeriodMs : this.#o.retryPeriodMs * (1 + 0.2 * Math.random());
      await sleep(wait, signal);
    }
  }

  #setLeading(leading: boolean): void {
    if (this.#leading === leading) return;
    this.#leading = leading;
    if (leading) {
      this.#o.log.info({ lease: `${this.#o.namespace}/${this.#o.name}`, identity: this.#o.identity }, 'leader election: became leader');
      this.#o.onStartedLeading();
    } else {
      this.#o.log.info({ lease: `${this.#o.namespace}/${this.#o.name}`, identity: this.#o.identity }, 'leader election: stopped leading');
      this.#o.onStoppedLeading();
    }
  }

  #spec(previous: Lease['spec'] | undefined, acquiring: boolean, now: Date) {
    return {
      holderIdentity: this.#o.identity,
      leaseDurationSeconds: Math.ceil(this.#o.leaseDurationMs / 1000),
      acquireTime: acquiring || !previous?.acquireTime ? microTime(now) : previous.acquireTime,
      renewTime: microTime(now),
      leaseTransitions: (previous?.leaseTransitions ?? 0) + (acquiring && previous?.holderIdentity ? 1 : 0),
    };
  }

  async #tryAcquireOrRenew(): Promise<boolean> {
    const now = new Date();
    // The leader renews from its cached copy (one request); a 409 means someone else wrote: re-read.
    if (this.#leading && this.#lease) {
      try {
        const renewed = await this.#o.client.update(
          `${this.#path}/${this.#o.name}`,
          { ...this.#lease, spec: { ...this.#lease.spec, ...this.#spec(this.#lease.spec, false, now) } },
          LeaseSchema,
        );
        this.#lease = renewed;
        this.#observe(renewed);
        return true;
      } catch (e) {
        if (!isConflictError(e)) throw e;
      }
    }
    let lease: Lease;
    try {
      lease = await this.#o.client.get(`${this.#path}/${this.#o.name}`, LeaseSchema);
    } catch (e) {
      if (!isNotFoundError(e)) throw e;
      this.#lease = await this.#o.client.create(
        this.#path,
        { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: this.#o.name, namespace: this.#o.namespace }, spec: this.#spec(undefined, true, now) },
        LeaseSchema,
      );
      this.#observe(this.#lease);
      return true;
    }
    this.#observe(lease);
    const holder = lease.spec.holderIdentity ?? '';
    const durationMs = (lease.spec.leaseDurationSeconds ?? 15) * 1000;
    const mine = holder === this.#o.identity;
    if (holder && !mine && this.#observedAt + durationMs > Date.now()) return false; // held by another, not expired
    const updated = await this.#o.client.update(
      `${this.#path}/${this.#o.name}`,
      { ...lease, spec: { ...lease.spec, ...this.#spec(lease.spec, !mine, now) } },
      LeaseSchema,
    );
    this.#lease = updated;
    this.#observe(updated);
    return true;
  }

  #observe(lease: Lease): void {
    const record = `${lease.spec.holderIdentity ?? ''}|${lease.spec.renewTime ?? ''}`;
    if (record !== this.#observedRecord) {
      this.#observedRecord = record;
      this.#observedAt = Date.now();
    }
    const holder = lease.spec.holderIdentity ?? '';
    if (holder !== this.#lastLeader) {
      this.#lastLeader = holder;
      if (holder) this.#o.onNewLeader?.(holder);
    }
  }

  async #release(): Promise<void> {
    const lease = this.#lease;
    if (!lease || lease.spec.holderIdentity !== this.#o.identity) return;
    try {
      const now = microTime(new Date());
      await this.#o.client.update(
        `${this.#path}/${this.#o.name}`,
        { ...lease, spec: { ...lease.spec, holderIdentity: '', leaseDurationSeconds: 1, acquireTime: now, renewTime: now } },
        LeaseSchema,
      );
      this.#o.log.info({ lease: `${this.#o.namespace}/${this.#o.name}` }, 'leader election: lease released');
    } catch (e) {
      this.#o.log.warn({ err: (e as Error).message }, 'leader election: could not release the lease (it will expire)');
    }
  }
}
