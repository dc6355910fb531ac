// The agent's Prometheus metrics, read at scrape time from the engine's counters and the
// exporter's, plus the publish-latency histogram the exporter feeds. Names follow Prometheus
// conventions (tapline_ prefix, _total counters, base units).
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

import type { EngineStats } from '../engine/stats.js';
import type { ExporterStats } from '../export/exporter.js';
import type { MessageKind } from '../export/message.js';

export interface MetricSources {
  engine(): EngineStats | undefined;
  exporter(): ExporterStats | undefined;
  /** Alert events drained from the engine. */
  alertsDrained(): number;
  /** The identity map and the records enriched with it; undefined when the policy does not enrich. */
  enrichment?(): { available: boolean; addresses: number; enriched: number; unenriched: number; refused: number } | undefined;
}

const n = (v: bigint | number): number => Number(v);

export class AgentMetrics {
  readonly registry = new Registry();
  private readonly latency: Histogram<'kind'>;

  constructor(sources: MetricSources, labels: { node: string; namespace: string; policy: string }) {
    const r = this.registry;
    r.setDefaultLabels(labels);
    collectDefaultMetrics({ register: r, prefix: 'tapline_agent_' });
    const registers = [r];
    const engine = sources.engine;
    const exporter = sources.exporter;

    const counter = <L extends string>(name: string, help: string, labelNames: L[], fill: (set: (labels: Partial<Record<L, string>>, v: number) => void) => void) =>
      new Counter<L>({
        name,
        help,
        labelNames,
        registers,
        collect() {
          this.reset();
          fill((l, v) => this.inc(l, v));
        },
      });
    const gauge = <L extends string>(name: string, help: string, labelNames: L[], fill: (set: (labels: Partial<Record<L, string>>, v: number) => void) => void) =>
      new Gauge<L>({
        name,
        help,
        labelNames,
        registers,
        collect() {
          this.reset();
          fill((l, v) => this.set(l, v));
        },
      });

    counter('tapline_packets_total', 'Packets the capture delivered to the engine.', [], (set) => {
      const s = engine();
      if (s) set({}, n(s.packets));
    });
    counter('tapline_bytes_total', 'Bytes of the packets the capture delivered (frame lengths).', [], (set) => {
      const s = engine();
      if (s) set({}, n(s.bytes));
    });
    counter(
      'tapline_drops_total',
      'Packets, records or alerts lost, by layer: capture (the source: kernel ring or NIC), nic_missed and nic_no_mbuf (DPDK), iface_dropped (AF_XDP: the interface rx_dropped count), ' +
        'ring (export ring full), malformed, unsupported_link_type, fragments_unmatched, fragments_evicted, ' +
        'flow_table_evicted (flows ended early for room), detector_ticks and alerts (detectors behind).',
      ['layer'],
      (set) => {
        const s = engine();
        if (!s) return;
        if (s.capture) {
          set({ layer: 'capture' }, n(s.capture.drops));
          if (s.capture.imissed !== undefined) set({ layer: 'nic_missed' }, n(s.capture.imissed));
          if (s.capture.rxNombuf !== undefined) set({ layer: 'nic_no_mbuf' }, n(s.capture.rxNombuf));
          if (s.capture.ifaceDrops !== undefined) set({ layer: 'iface_dropped' }, n(s.capture.ifaceDrops));
        }
        if (s.detectors) set({ layer: 'detector_ticks' }, n(s.detectors.tickDrops));
        if (s.alerts) set({ layer: 'alerts' }, n(s.alerts.dropped));
        set({ layer: 'ring' }, n(s.ring.drops));
        set({ layer: 'malformed' }, n(s.malformedTotal));
        set({ layer: 'unsupported_link_type' }, n(s.input.unsupportedLinkType));
        set({ layer: 'fragments_unmatched' }, n(s.fragments.unmatched));
        set({ layer: 'fragments_evicted' }, n(s.fragments.evicted));
        set({ layer: 'flow_table_evicted' }, n(s.flows.evicted));
      },
    );
    counter('tapline_flows_created_total', 'Flows created in the flow tables.', [], (set) => {
      const s = engine();
      if (s) set({}, n(s.flows.created));
    });
    counter('tapline_flows_exported_total', 'Flow records the engine exported.', [], (set) => {
      const s = engine();
      if (s) set({}, n(s.flows.exported));
    });
    gauge('tapline_flows_active', 'Flows live in the flow tables.', [], (set) => {
      const s = engine();
      if (s) set({}, n(s.flows.active));
    });
    gauge('tapline_flow_table_capacity', 'Flow-table capacity over all workers.', [], (set) => {
      const s = engine();
      if (s) set({}, n(s.flows.capacity));
    });

    const perKind = (set: (l: { kind?: string }, v: number) => void, f: (x: ExporterStats) => Record<MessageKind, number>) => {
      const x = exporter();
      if (!x) return;
      const v = f(x);
      set({ kind: 'flows' }, v.flows);
      set({ kind: 'alerts' }, v.alerts);
    };
    counter('tapline_export_records_published_total', 'Flow records (kind=flows) and alerts (kind=alerts) acknowledged by JetStream.', ['kind'], (set) => perKind(set, (x) => x.publishedRecords));
    counter('tapline_export_messages_published_total', 'Messages acknowledged by JetStream.', ['kind'], (set) => perKind(set, (x) => x.publishedMessages));
    counter('tapline_export_records_dropped_total', 'Records dropped because the spool was full (reason=spool_full) or the server refused them for good (reason=rejected).', ['kind', 'reason'], (set) => {
      const x = exporter();
      if (!x) return;
      for (const kind of ['flows', 'alerts'] as const) {
        set({ kind, reason: 'spool_full' }, x.droppedRecords[kind]);
        set({ kind, reason: 'rejected' }, x.rejectedRecords[kind]);
      }
    });
    counter('tapline_export_spool_dropped_messages_total', 'Messages dropped because the spool was full.', ['kind'], (set) => perKind(set, (x) => x.droppedMessages));
    counter('tapline_export_publish_failures_total', 'Publishes that failed (timeout, disconnect, JetStream unavailable); each is retried.', [], (set) => {
      const x = exporter();
      if (x) set({}, x.publishFailures);
    });
    counter('tapline_export_duplicates_total', 'Acknowledgements that said the stream already had the message (a resend de-duplicated).', [], (set) => {
      const x = exporter();
      if (x) set({}, x.duplicates);
    });
    counter('tapline_export_reconnects_total', 'Reconnections to NATS.', [], (set) => {
      const x = exporter();
      if (x) set({}, x.reconnects);
    });
    gauge('tapline_export_connected', '1 while connected to NATS.', [], (set) => {
      const x = exporter();
      if (x) set({}, x.connected ? 1 : 0);
    });
    gauge('tapline_export_spool_messages', 'Messages waiting in the spool, by tier.', ['tier'], (set) => {
      const x = exporter();
      if (!x) return;
      set({ tier: 'memory' }, x.spool.memoryMessages);
      set({ tier: 'disk' }, x.spool.diskMessages);
    });
    gauge('tapline_export_spool_bytes', 'Bytes waiting in the spool, by tier.', ['tier'], (set) => {
      const x = exporter();
      if (!x) return;
      set({ tier: 'memory' }, x.spool.memoryBytes);
      set({ tier: 'disk' }, x.spool.diskBytes);
    });
    gauge('tapline_export_spool_records', 'Flow records and alerts waiting in the spool.', [], (set) => {
      const x = exporter();
      if (x) set({}, x.spool.records);
    });
    gauge('tapline_export_records_lost_at_start', 'Records (at most) the previous agent process lost when it was killed: they were only in memory, not in the disk spool (0 after a clean stop or without a disk spool).', [], (set) => {
      const x = exporter();
      if (x) set({}, x.spool.lostAtStartRecords);
    });
    gauge('tapline_export_in_flight_messages', 'Publishes awaiting their acknowledgement.', [], (set) => {
      const x = exporter();
      if (x) set({}, x.inFlight);
    });
    counter('tapline_alerts_drained_total', 'Alert events the agent took from the detectors.', [], (set) => set({}, sources.alertsDrained()));
    const enrichment = () => sources.enrichment?.();
    gauge('tapline_enrichment_available', '1 when flow records get Kubernetes identities (the identity map was read), 0 when they go out without; absent when the policy does not enrich.', [], (set) => {
      const e = enrichment();
      if (e) set({}, e.available ? 1 : 0);
    });
    gauge('tapline_identity_addresses', 'Cluster addresses in the agent\'s copy of the identity map.', [], (set) => {
      const e = enrichment();
      if (e) set({}, e.addresses);
    });
    counter('tapline_records_enriched_total', 'Flow records by whether they went out with identities (enriched) or without (unavailable: no identity map yet).', ['result'], (set) => {
      const e = enrichment();
      if (e) {
        set({ result: 'enriched' }, e.enriched);
        set({ result: 'unavailable' }, e.unenriched);
      }
    });
    counter('tapline_identity_refused_total', 'Identity map values the agent could not read (skipped).', [], (set) => {
      const e = enrichment();
      if (e) set({}, e.refused);
    });
    counter('tapline_alert_events_total', 'Alert events the detectors produced, by state (raised, updated, resolved, report) and those dropped because the alert queue was full (state=dropped).', ['state'], (set) => {
      const a = engine()?.alerts;
      if (!a) return;
      set({ state: 'raised' }, n(a.raised));
      set({ state: 'updated' }, n(a.updated));
      set({ state: 'resolved' }, n(a.resolved));
      set({ state: 'report' }, n(a.reports));
      set({ state: 'dropped' }, n(a.dropped));
    });

    this.latency = new Histogram({
      name: 'tapline_export_publish_latency_seconds',
      help: 'Time from publish to the JetStream acknowledgement.',
      labelNames: ['kind'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
  }

  observePublishLatency(kind: MessageKind, seconds: number): void {
    this.latency.observe({ kind }, seconds);
  }
}
