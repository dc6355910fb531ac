// The operator process: connection, informers, work queue, reconciler, leader election and the
// HTTP endpoints, started and stopped as one. `tapline operator` (cli/operator) calls this;
// tests call it in-process too.
import { hostname } from 'node:os';
import { pino, type Logger } from 'pino';
import { z } from 'zod';
import { DEFAULT_IDENTITY_BUCKET } from '../agent/index.js';
import { MetricsServer } from '../agent/metrics/server.js';
import { Controller } from './controller/controller.js';
import { EventRecorder } from './controller/event-recorder.js';
import { KubeClient } from './controller/kube-client.js';
import { loadInCluster, loadKubeconfig } from './controller/kubeconfig.js';
import { LeaderElector } from './controller/leader-election.js';
import { OperatorMetrics } from './controller/metrics.js';
import { LEADER_LEASE_NAME } from './rbac.js';
import { OperatorSettingsSchema } from './render/settings.js';
import { IdentityPublisher } from './identity/identity-publisher.js';
import type { IdentityMapState } from './reconcile/status.js';

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
  /** The identity map's bucket (agents read it on their policy's NATS). */
  identityBucket: z.string().regex(/^[A-Za-z0-9_-]+$/).default(DEFAULT_IDENTITY_BUCKET),
  /** Where the leader writes the identity map; absent: no map (policies say Enriched=False, IdentityMapNotConfigured). */
  identityMap: z
    .strictObject({
      servers: z.array(z.string().regex(/^(nats|tls|ws|wss):\/\/\S+$/)).min(1),
      /** A NATS .creds file (mounted from a Secret). */
      credentialsFile: z.string().min(1).optional(),
      tls: z.strictObject({ certFile: z.string().min(1), keyFile: z.string().min(1), caFile: z.string().min(1).optional() }).optional(),
      replicas: z.int().min(1).max(5).default(1),
      /** Pod ranges the nodes' spec.podCIDRs do not say (CNIs that allocate their own). */
      extraPodRanges: z.array(z.union([z.cidrv4(), z.cidrv6()])).default([]),
      /** How long an ended identity is kept for late flows (default 900). */
      retentionSeconds: z.int().min(60).max(86_400).default(900),
    })
    .optional(),
});
export type OperatorOptions = z.output<typeof OperatorOptionsSchema>;
export type OperatorOptionsInput = z.input<typeof OperatorOptionsSchema>;

export interface RunningOperator {
  controller: Controller;
  metrics: OperatorMetrics;
  elector: LeaderElector | undefined;
  metricsPort: number;
  identity: string;
  /** The identity map's writer, when configured. */
  identityMap: IdentityPublisher | undefined;
  /** Stops informers and workers, releases the Lease, closes the HTTP server. */
  stop(): Promise<void>;
}

export async function startOperator(input: OperatorOptionsInput, log: Logger = pino({ name: 'tapline-operator' })): Promise<RunningOperator> {
  const o = OperatorOptionsSchema.parse(input);
  const kubeConfig = o.kubeconfig ? loadKubeconfig(o.kubeconfig, o.context) : loadInCluster();
  const metrics = new OperatorMetrics();
  const client = new KubeClient(kubeConfig, { observer: metrics.observeRequest });
  const settings = OperatorSettingsSchema.parse({ agentImage: o.agentImage, watchNamespaces: o.watchNamespaces, allowPrivileged: o.allowPrivileged, identityBucket: o.identityBucket });
  const identity = o.identity ?? process.env.POD_NAME ?? `${hostname()}_${process.pid}`;
  // Events are recorded only by reconciles, which run only while this replica leads.
  const events = new EventRecorder({ client, reportingInstance: identity, log, metrics });
  const im = o.identityMap;
  const identityLog = log.child({ component: 'identity-map' });
  const publisher = im
    ? new IdentityPublisher({
        client,
        nats: {
          servers: im.servers,
          credentials: { credentialsFile: im.credentialsFile, tls: im.tls },
          clientName: `tapline-operator ${identity}`,
          connectTimeoutMs: 5000,
        },
        bucket: o.identityBucket,
        replicas: im.replicas,
        extraPodRanges: im.extraPodRanges,
        retentionMs: im.retentionSeconds * 1000,
        registry: metrics.registry,
        log: identityLog,
      })
    : undefined;
  const identityState = (): IdentityMapState => (!publisher ? 'notConfigured' : publisher.ready ? 'published' : 'unavailable');
  const controller = new Controller({ client, metrics, log, settings, workers: o.workers, events, identityMap: identityState });
  // the policies' Enriched condition follows the map's state
  let lastIdentityState = identityState();
  const identityWatch = setInterval(() => {
    const now = identityState();
    if (now !== lastIdentityState) {
      lastIdentityState = now;
      controller.enqueueAll();
    }
  }, 1000);
  identityWatch.unref();

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
  publisher?.startInformers();

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
        publisher?.startLeading();
      },
      onStoppedLeading: () => {
        wantLeading = false;
        void controller.stopLeading();
        void publisher?.stopLeading();
      },
      onNewLeader: (id) => log.info({ leader: id, self: id === identity }, 'leader election: new leader observed'),
    });
    elector.start();
  } else publisher?.startLeading();
  log.info({ identity, metricsPort: http.port, watchNamespaces: o.watchNamespaces, leaderElect: o.leaderElect, server: client.server.origin }, 'operator started');

  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      clearInterval(syncWait);
      clearInterval(identityWatch);
      wantLeading = false;
      await publisher?.stop();
      await controller.stopLeading();
      await events.stop();
      await elector?.stop();
      controller.shutDown();
      await controller.stopInformers();
      await http.close();
      log.info({ identity }, 'operator stopped');
    })());
  return { controller, metrics, elector, metricsPort: http.port, identity, identityMap: publisher, stop };
}
