// The agent process: connect and check the stream, serve /metrics, /healthz and /readyz, open
// and start the engine, move record batches and alert events to the exporter until the input
// ends or SIGTERM/SIGINT arrives, then flush within the grace period and report.
//
// Exit status: 0 when every record was delivered (or, on shutdown, is safely in the disk spool
// for the next start); 1 when records were lost or could not be delivered in time; 1 with a
// clear message when the engine fails. Start-up errors (config, credentials, stream) throw.
import type { Logger } from 'pino';

import { AlertPoller } from '../alerts/alert-poller.js';
import { alertSource } from '../alerts/alert-source.js';
import { engineOptions } from '../config/engine-options.js';
import type { LoadedConfig } from '../config/load.js';
import { Engine } from '../engine/engine.js';
import type { EngineStats } from '../engine/stats.js';
import { Exporter } from '../export/exporter.js';
import { FlowEnricher } from '../identity/enricher.js';
import { IdentityWatch } from '../identity/identity-watch.js';
import { exportSettings } from '../export/options.js';
import { AgentMetrics } from '../metrics/agent-metrics.js';
import { MetricsServer } from '../metrics/server.js';
import { EngineCrashError } from './errors.js';
import { writeTerminationMessage } from './termination-log.js';

export const DEFAULT_GRACE_SECONDS = 25;

export interface AgentRunOptions {
  /** Address the metrics server binds (default all interfaces). */
  metricsHost?: string;
  /** Signals that start a graceful shutdown (default SIGTERM and SIGINT). */
  signals?: NodeJS.Signals[];
}

type Phase = 'starting' | 'capturing' | 'stopping' | 'done';

export async function runAgent({ config, env }: LoadedConfig, root: Logger, opts: AgentRunOptions = {}): Promise<number> {
  const node = env.NODE_NAME;
  const log = root.child({ node, policy: `${config.policy.namespace}/${config.policy.name}` });
  const graceMs = (config.shutdown?.graceSeconds ?? DEFAULT_GRACE_SECONDS) * 1000;
  const lossless = config.capture.backend === 'file'; // a file can wait for the export; a NIC cannot
  const options = engineOptions(config, process.env);

  let phase: Phase = 'starting';
  let engine: Engine | undefined;
  let exporter: Exporter | undefined;
  let lastStats: EngineStats | undefined;
  let poller: AlertPoller | undefined;
  let identity: { watch: IdentityWatch; enricher: FlowEnricher } | undefined;
  const engineStats = (): EngineStats | undefined => {
    if (engine && phase !== 'done') lastStats = engine.stats();
    return lastStats;
  };
  const metrics = new AgentMetrics(
    {
      engine: engineStats,
      exporter: () => exporter?.stats(),
      alertsDrained: () => poller?.drained ?? 0,
      enrichment: () =>
        identity && {
          available: identity.watch.available,
          addresses: identity.watch.map.size,
          enriched: identity.enricher.enriched,
          unenriched: identity.enricher.unenriched,
          refused: identity.watch.refused,
        },
    },
    { node, namespace: config.policy.namespace, policy: config.policy.name },
  );
  const server = await MetricsServer.listen(
    config.metrics.port,
    opts.metricsHost ?? '0.0.0.0',
    metrics.registry,
    {
      notReady: () => {
        if (phase !== 'capturing') return `agent is ${phase}`;
        if (exporter && !exporter.healthy) return 'NATS is away and the spool is nearly full';
        return null;
      },
    },
    log,
  );
  log.info({ port: server.port }, 'metrics listening');

  let stopRequested = false;
  let shutdownAt = Infinity;
  let hardStop: NodeJS.Timeout | undefined;
  const signals = opts.signals ?? ['SIGTERM', 'SIGINT'];
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopRequested) return;
    stopRequested = true;
    shutdownAt = Date.now() + graceMs;
    log.info({ signal, graceSeconds: graceMs / 1000 }, 'shutting down: stopping capture, flushing live flows');
    phase = 'stopping';
    engine?.stop();
    // The flush below respects the deadline; this is the backstop if the engine itself hangs.
    hardStop = setTimeout(() => {
      log.fatal({ graceSeconds: graceMs / 1000 }, 'grace period over before the shutdown finished; exiting');
      process.exit(1);
    }, graceMs + 2000);
    hardStop.unref();
  };
  for (const s of signals) process.on(s, onSignal);
  const deadline = () => (stopRequested ? shutdownAt : Infinity);

  try {
    exporter = await Exporter.open(exportSettings(config, node), log, {
      publishLatency: (kind, seconds) => metrics.observePublishLatency(kind, seconds),
    });
    const x = exporter;
    if (config.identity) {
      const watch = IdentityWatch.start(x.connection, { bucket: config.identity.bucket }, log);
      const enricher = new FlowEnricher(watch.map, () => watch.available);
      identity = { watch, enricher };
      x.rewriteFlowsWith((jsonl) => enricher.enrich(jsonl));
    }
    engine = await Engine.open(options);
    const e = engine;
    const d = config.detectors;
    const drainAlerts = alertSource(e, d.volumetric.enabled || d.synFlood.enabled || d.portScan.enabled || d.heavyHitters.enabled);
    if (drainAlerts) poller = new AlertPoller(drainAlerts, (ev) => x.publishAlert(ev), log.child({ component: 'alerts' }));
    if (stopRequested) e.stop();
    e.start();
    poller?.start();
    if (!stopRequested) phase = 'capturing';
    log.info({ source: options.source.kind, workers: options.workers, maxFlows: options.maxFlows }, 'capture started');

    try {
      for await (const batch of e.batches('jsonl')) {
        if (lossless) await x.publishFlowsPaced(batch.data);
        else x.publishFlows(batch.data);
      }
    } catch (err) {
      throw new EngineCrashError(`the flow engine failed: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    } finally {
      poller?.stop();
    }
    poller?.poll(); // what the detectors reported at the very end
    phase = 'stopping';
    lastStats = e.stats();
    const info = e.info();
    await e.close();
    phase = 'done';
    if (info.inputError && !info.inputTruncated) log.error({ inputError: info.inputError }, 'capture input ended with an error');

    // Flush: on shutdown within what is left of the grace period; at the end of a file, as long as
    // the export keeps making progress within the grace period.
    const remaining = () => Math.max(0, deadline() - Date.now() - 250);
    let flushed = await x.flush(stopRequested ? remaining() : graceMs);
    while (!flushed.delivered && !stopRequested && x.stats().connected) flushed = await x.flush(graceMs);
    if (!flushed.delivered && stopRequested) flushed = await x.flush(remaining());
    const xs = x.stats();
    const lost = xs.droppedRecords.flows + xs.droppedRecords.alerts + xs.rejectedRecords.flows + xs.rejectedRecords.alerts;
    const summary = {
      packets: String(lastStats.packets),
      flowPackets: String(lastStats.flowPackets),
      flowsCreated: String(lastStats.flows.created),
      flowsExported: String(lastStats.flows.exported),
      ringDrops: String(lastStats.ring.drops),
      recordsPublished: xs.publishedRecords.flows,
      alertsPublished: xs.publishedRecords.alerts,
      duplicates: xs.duplicates,
      publishFailures: xs.publishFailures,
      recordsDropped: lost,
      recordsPending: flushed.pendingRecords,
      spoolDiskMessages: xs.spool.diskMessages,
    };
    // Records in the disk spool are sent by the next start; those in memory are lost at exit.
    const undelivered = flushed.pendingRecords - xs.spool.diskRecords;
    if (lost > 0 || undelivered > 0) {
      log.error(summary, 'agent stopped; some records were not delivered');
      // For the pod's status: the same words each time (the counts are in the log).
      writeTerminationMessage('tapline agent: stopped with flow records or alerts not delivered to NATS (see the log for counts)');
      return 1;
    }
    log.info(summary, flushed.pendingRecords > 0 ? 'agent stopped; undelivered records stay in the disk spool' : 'agent stopped; every record delivered');
    return 0;
  } finally {
    phase = 'done';
    for (const s of signals) process.off(s, onSignal);
    if (hardStop) clearTimeout(hardStop);
    await engine?.close().catch((err: unknown) => log.error({ err }, 'closing the engine failed'));
    await identity?.watch.stop();
    await exporter?.close().catch((err: unknown) => log.error({ err }, 'closing the NATS connection failed'));
    await server.close();
  }
}
