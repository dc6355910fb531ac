// The operator's Prometheus metrics and their text exposition (format 0.0.4). A tiny registry:
// counters and gauges with labels, and one histogram type.
import type { RequestRecord } from './kube-client.js';

type Labels = Record<string, string>;

function labelText(labels: Labels): string {
  const entries = Object.entries(labels);
  if (!entries.length) return '';
  return `{${entries.map(([k, v]) => `${k}="${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`).join(',')}}`;
}

abstract class Metric {
  constructor(
    readonly name: string,
    readonly help: string,
    readonly type: 'counter' | 'gauge' | 'histogram',
  ) {}
  abstract samples(): string[];
  render(): string {
    return [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} ${this.type}`, ...this.samples()].join('\n');
  }
}

class Family extends Metric {
  readonly #values = new Map<string, { labels: Labels; value: number }>();
  inc(labels: Labels = {}, by = 1): void {
    const k = labelText(labels);
    const v = this.#values.get(k);
    if (v) v.value += by;
    else this.#values.set(k, { labels, value: by });
  }
  set(labels: Labels, value: number): void {
    this.#values.set(labelText(labels), { labels, value });
  }
  get(labels: Labels = {}): number {
    return this.#values.get(labelText(labels))?.value ?? 0;
  }
  samples(): string[] {
    if (!this.#values.size && this.type === 'gauge') return [`${this.name} 0`];
    return [...this.#values.values()].map((v) => `${this.name}${labelText(v.labels)} ${v.value}`);
  }
}

export class Histogram extends Metric {
  readonly #counts: number[];
  #sum = 0;
  #count = 0;
  constructor(name: string, help: string, readonly buckets: number[]) {
    super(name, help, 'histogram');
    this.#counts = buckets.map(() => 0);
  }
  observe(v: number): void {
    this.#sum += v;
    this.#count++;
    this.buckets.forEach((b, i) => {
      if (v <= b) this.#counts[i]!++;
    });
  }
  get count(): number {
    return this.#count;
  }
  samples(): string[] {
    return [
      ...this.buckets.map((b, i) => `${this.name}_bucket{le="${b}"} ${this.#counts[i]}`),
      `${this.name}_bucket{le="+Inf"} ${this.#count}`,
      `${this.name}_sum ${this.#sum}`,
      `${this.name}_count ${this.#count}`,
    ];
  }
}

export class OperatorMetrics {
  readonly reconciles = new Family('tapline_operator_reconcile_total', 'Reconciles by result (success, error, terminal).', 'counter');
  readonly errors = new Family('tapline_operator_reconcile_errors_total', 'Failed reconciles by error class.', 'counter');
  readonly queueDepth = new Family('tapline_operator_workqueue_depth', 'Keys waiting in the work queue.', 'gauge');
  readonly retries = new Family('tapline_operator_workqueue_retries_total', 'Keys re-queued with backoff after a failure.', 'counter');
  readonly duration = new Histogram('tapline_operator_reconcile_duration_seconds', 'Time of one reconcile.', [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
  ]);
  readonly apiRequests = new Family('tapline_operator_api_requests_total', 'Requests to the Kubernetes API by verb, resource and status code.', 'counter');
  readonly leader = new Family('tapline_operator_leader', '1 while this replica holds the leader lease.', 'gauge');
  readonly informerSynced = new Family('tapline_operator_informer_synced', '1 once the informer of a resource has listed.', 'gauge');
  readonly writesSkipped = new Family('tapline_operator_apply_skipped_total', 'Objects found already as desired (no write) by kind.', 'counter');
  readonly applies = new Family('tapline_operator_apply_total', 'Objects written by server-side apply, by kind.', 'counter');
  readonly refused = new Family('tapline_operator_objects_refused_total', 'Objects from the API server that failed the schema, by resource.', 'counter');
  readonly events = new Family('tapline_operator_events_total', 'Kubernetes Events recorded (repeats included) by type and reason.', 'counter');
  readonly eventsDropped = new Family('tapline_operator_events_dropped_total', 'Events not written, by cause (rateLimited, queueFull, writeFailed).', 'counter');

  observeRequest = (r: RequestRecord): void => {
    this.apiRequests.inc({ verb: r.verb, resource: r.resource, code: r.code });
  };

  render(): string {
    const all: Metric[] = [
      this.reconciles,
      this.errors,
      this.queueDepth,
      this.retries,
      this.duration,
      this.apiRequests,
      this.leader,
      this.informerSynced,
      this.writesSkipped,
      this.applies,
      this.refused,
      this.events,
      this.eventsDropped,
    ];
    return `${all.map((m) => m.render()).join('\n')}\n`;
  }
}
