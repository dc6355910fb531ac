// The operator's Prometheus metrics, on prom-client (as the agent's): one registry per operator
// process, served at /metrics by the shared metrics/health server (agent/metrics/server.ts).
// Names, labels and help texts are part of the operator's interface (README, dashboards, tests).
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { RequestRecord } from './kube-client.js';

export class OperatorMetrics {
  readonly registry = new Registry();
  readonly reconciles: Counter<'result'>;
  readonly errors: Counter<'error'>;
  readonly queueDepth: Gauge;
  readonly retries: Counter;
  readonly duration: Histogram;
  readonly apiRequests: Counter<'verb' | 'resource' | 'code'>;
  readonly leader: Gauge;
  readonly informerSynced: Gauge<'resource'>;
  readonly writesSkipped: Counter<'kind'>;
  readonly applies: Counter<'kind'>;
  readonly refused: Counter<'resource'>;
  readonly events: Counter<'type' | 'reason'>;
  readonly eventsDropped: Counter<'cause'>;

  constructor() {
    const registers = [this.registry];
    const counter = <L extends string>(name: string, help: string, labelNames: L[] = []) => new Counter<L>({ name, help, labelNames, registers });
    const gauge = <L extends string>(name: string, help: string, labelNames: L[] = []) => new Gauge<L>({ name, help, labelNames, registers });
    this.reconciles = counter('tapline_operator_reconcile_total', 'Reconciles by result (success, error, terminal).', ['result']);
    this.errors = counter('tapline_operator_reconcile_errors_total', 'Failed reconciles by error class.', ['error']);
    this.queueDepth = gauge('tapline_operator_workqueue_depth', 'Keys waiting in the work queue.');
    this.retries = counter('tapline_operator_workqueue_retries_total', 'Keys re-queued with backoff after a failure.');
    this.duration = new Histogram({
      name: 'tapline_operator_reconcile_duration_seconds',
      help: 'Time of one reconcile.',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
    this.apiRequests = counter('tapline_operator_api_requests_total', 'Requests to the Kubernetes API by verb, resource and status code.', ['verb', 'resource', 'code']);
    this.leader = gauge('tapline_operator_leader', '1 while this replica holds the leader lease.');
    this.informerSynced = gauge('tapline_operator_informer_synced', '1 once the informer of a resource has listed.', ['resource']);
    this.writesSkipped = counter('tapline_operator_apply_skipped_total', 'Objects found already as desired (no write) by kind.', ['kind']);
    this.applies = counter('tapline_operator_apply_total', 'Objects written by server-side apply, by kind.', ['kind']);
    this.refused = counter('tapline_operator_objects_refused_total', 'Objects from the API server that failed the schema, by resource.', ['resource']);
    this.events = counter('tapline_operator_events_total', 'Kubernetes Events recorded (repeats included) by type and reason.', ['type', 'reason']);
    this.eventsDropped = counter('tapline_operator_events_dropped_total', 'Events not written, by cause (rateLimited, queueFull, writeFailed).', ['cause']);
  }

  /** The KubeClient's request observer: every API request, by verb, resource and status code. */
  observeRequest = (r: RequestRecord): void => {
    this.apiRequests.inc({ verb: r.verb, resource: r.resource, code: r.code });
  };

  /** The Prometheus text exposition of every metric. */
  render(): Promise<string> {
    return this.registry.metrics();
  }
}
