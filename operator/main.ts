// The operator process: connection, informers, work queue, reconciler, leader election and the
// HTTP endpoints, started and stopped as one. `tapline operator` (cli/operator) calls this;
// tests call it in-process too.
import { hostname } from 'node:os';
import { pino, type Logger } from 'pino';
import { z } from 'zod';
import { MetricsServer } from '../agent/metrics/server.js';
import { Controller } from './controller/controller.js';
import { EventRecorder } from './controller/event-recorder.js';
import { KubeClient } from './controller/kube-client.js';
import { loadInCluster, loadKubeconfig } from './controller/kubeconfig.js';
import { LeaderElector } from './controller/leader-election.js';
import { OperatorMetrics } from './controller/metrics.js';
import { LEADER_LEASE_NAME } from './rbac.js';
import { OperatorSettingsSchema } from './render/settings.js';

export const DEFAULT_AGENT_IMAGE = 'ghcr.io/tapline/agent:0.1.0';

export const OperatorOptionsSchema = z.object({
  /** A kubeconfig file (any user client-node runs: certificates, tokens, exec and auth-provider plugins); absent: the in-cluster ServiceAccount. */
  kubeconfig: z.string().min(1).optional(),
  /** A context of the kubeconfig; default: its current-context. */
  context: z.string().min(1).optional(),
  watchNamespaces: z.array(z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, { message: 'must be a namespace name' }).max(63)).default([]),
  metricsPort: z.int().min(0).max(65535).default(8080),
  metricsHost: z.string().min(1).default('0.0.0.0'),
  leaderElect: z.boolean().default(true),
  /** Default: the namespace of the in-cluster ServiceAccount or kubeconfig context, else default. */
  leaseNamespace: z.string().min(1).optional(),
  leaseName: z.string().min(1).default(LEADER_LEASE_NAME),
  /** Default: POD_NAME, else hostname_pid. */
  identity: z.string().min(1).optional(),
  leaseDurationMs: z.int().positive().default(15_000),
  renewDeadlineMs: z.int().positive().default(10_000),
  retryPeriodMs: z.int().positive().default(2_000),
  workers: z.int().min(1).max(64).default(2),
  agentImage: z.string().min(1).default(DEFAULT_AGENT_IMAGE),
  allowPrivileged: z.boolean().default(false),
});
export type OperatorOptions = z.output<typeof OperatorOptionsSchema>;
export type OperatorOptionsInput = z.input<typeof OperatorOptionsSchema>;

export interface RunningOperator {
  controller: Controller;
  metrics: OperatorMetrics;
  elector: LeaderElector | undefined;
  metricsPort: number;
  identity: string;
  /** Stops informers and workers, releases the Lease, closes the HTTP server. */
  stop(): Promise<void>;
}

export async function startOperator(input: OperatorOptionsInput, log: Logger = pino({ name: 'tapline-operator' })): Promise<RunningOperator> {
  const o = OperatorOptionsSchema.parse(input);
  const kubeConfig = o.kubeconfig ? loadKubeconfig(o.kubeconfig, o.context) : loadInCluster();
  const metrics = new OperatorMetrics();
  const client = new KubeClient(kubeConfig, { observer: metrics.observeRequest });
  const settings = OperatorSettingsSchema.parse({ agentImage: o.agentImage, watchNamespaces: o.watchNamespaces, allowPrivileged: o.allowPrivileged });
  const identity = o.identity ?? process.env.POD_NAME ?? `${hostname()}_${process.pid}`;
  // Events are recorded only by reconciles, which run only while this replica leads.
  const events = new EventRecorder({ client, reportingInstance: identity, log, metrics });
  const controller = new Controller({ client, metrics, log, settings, workers: o.workers, events });

  const http = await MetricsServer.listen(
    o.metricsPort,
    o.metricsHost,
    metrics.registry,
    {
      notReady: () => {
        const missing = controller.informers.filter((i) => !i.synced()).map((i) => `informer ${i.resource}`);
        return missing.length ? missing.join(', ') : null;
      },
    },
    log,
  );
  controller.startInformers();

  // Workers start once the caches are filled and (with leader election) this replica leads.
  let wantLeading = !o.leaderElect;
  let synced = false;
  const reconcileIfReady = () => {
    if (wantLeading && synced) controller.startLeading();
  };
  const syncWait = setInterval(() => {
    if (controller.synced()) {
      clearInterval(syncWait);
      synced = true;
      reconcileIfReady();
    }
  }, 100);

  let elector: LeaderElector | undefined;
  if (o.leaderElect) {
    elector = new LeaderElector({
      client,
      namespace: o.leaseNamespace ?? client.namespace ?? 'default',
      name: o.leaseName,
      identity,
      leaseDurationMs: o.leaseDurationMs,
      renewDeadlineMs: o.renewDeadlineMs,
      retryPeriodMs: o.retryPeriodMs,
      log,
      onStartedLeading: () => {
        wantLeading = true;
        reconcileIfReady();
      },
      onStoppedLeading: () => {
        wantLeading = false;
        void controller.stopLeading();
      },
      onNewLeader: (id) => log.info({ leader: id, self: id === identity }, 'leader election: new leader observed'),
    });
    elector.start();
  }
  log.info({ identity, metricsPort: http.port, watchNamespaces: o.watchNamespaces, leaderElect: o.leaderElect, server: client.server.origin }, 'operator started');

  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      clearInterval(syncWait);
      wantLeading = false;
      await controller.stopLeading();
      await events.stop();
      await elector?.stop();
      controller.shutDown();
      await controller.stopInformers();
      await http.close();
      log.info({ identity }, 'operator stopped');
    })());
  return { controller, metrics, elector, metricsPort: http.port, identity, stop };
}
