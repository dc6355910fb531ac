// Events: which transitions a reconcile reports (pure), and the recorder's series, dedupe and rate
// limit against a small in-memory events.k8s.io/v1 endpoint over HTTP (the state of the stored
// Events is asserted, through the operator's real KubeClient).
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { KubeConfig } from '@kubernetes/client-node';
import { EventRecorder } from '../../operator/controller/event-recorder.js';
import { KubeClient } from '../../operator/controller/kube-client.js';
import { OperatorMetrics } from '../../operator/controller/metrics.js';
import { deployedEvent, reconcileErrorEvent, statusEvents, type EventInput } from '../../operator/reconcile/events.js';
import { buildStatus } from '../../operator/reconcile/status.js';
import type { ObservedDaemonSet } from '../../operator/reconcile/observed.js';
import { parseMetrics, sumMetric } from '../support/prometheus.js';

const T = new Date('2025-01-01T00:00:00Z');
const ds = (desired: number, ready: number): ObservedDaemonSet => ({
  metadata: { name: 'tapline-p', namespace: 'ns', uid: 'u', resourceVersion: '7', generation: 1 },
  spec: {},
  status: { observedGeneration: 1, desiredNumberScheduled: desired, numberReady: ready, updatedNumberScheduled: desired },
});
const noConflict = { lost: [], excludedNodes: [], winsOver: [] };
const status = (o: Partial<Parameters<typeof buildStatus>[0]>) => buildStatus({ generation: 1, paused: false, daemonSet: undefined, conflicts: noConflict, ...o }, undefined, T);

describe('statusEvents: transitions only', () => {
  it('Ready when Ready turns True, and nothing for the same status again', () => {
    const deploying = status({ daemonSet: ds(2, 1) });
    const ready = status({ daemonSet: ds(2, 2) });
    expect(statusEvents(undefined, deploying)).toEqual([]);
    expect(statusEvents(deploying, ready)).toEqual([expect.objectContaining({ type: 'Normal', reason: 'Ready', action: 'ObserveRollout', note: expect.stringContaining('2 of 2 agents ready') })]);
    expect(statusEvents(ready, ready)).toEqual([]);
    expect(statusEvents(ready, status({ daemonSet: ds(3, 3) }))).toEqual([]); // still Ready: no event
  });

  it('Warning InterfaceConflict when the conflict condition turns True', () => {
    const lost = { lost: [{ nodeName: 'n1', device: 'eth0', policy: 'ns/old' }], excludedNodes: ['n1'], winsOver: [] };
    const conflicted = status({ daemonSet: ds(1, 0), conflicts: lost });
    const es = statusEvents(status({ daemonSet: ds(1, 0) }), conflicted);
    expect(es).toEqual([expect.objectContaining({ type: 'Warning', reason: 'InterfaceConflict', note: expect.stringContaining('ns/old') })]);
    expect(statusEvents(conflicted, conflicted)).toEqual([]);
  });

  it('a Warning per blocked reason, again only when the reason or message changes', () => {
    const invalid = status({ blocked: { reason: 'InvalidSpec', message: 'spec.capture: bad' } });
    expect(statusEvents(undefined, invalid)).toEqual([{ type: 'Warning', reason: 'InvalidSpec', action: 'ValidateSpec', note: 'spec.capture: bad' }]);
    expect(statusEvents(invalid, invalid)).toEqual([]);
    expect(statusEvents(invalid, status({ blocked: { reason: 'InvalidSpec', message: 'spec.export: bad' } }))).toHaveLength(1);
    expect(statusEvents(undefined, status({ blocked: { reason: 'NamespaceNotWatched', message: 'watches only a' } }))).toEqual([
      expect.objectContaining({ type: 'Warning', reason: 'NamespaceNotWatched', action: 'CheckNamespace' }),
    ]);
  });

  it('Deployed on creation and on a new config hash only', () => {
    expect(deployedEvent({ daemonSet: 'tapline-p', configMap: 'tapline-p', hash: 'h1', previousHash: undefined, created: true })?.note).toContain('DaemonSet tapline-p');
    expect(deployedEvent({ daemonSet: 'tapline-p', configMap: 'tapline-p', hash: 'h2', previousHash: 'h1', created: false })?.note).toContain('h2');
    expect(deployedEvent({ daemonSet: 'tapline-p', configMap: 'tapline-p', hash: 'h1', previousHash: 'h1', created: false })).toBeUndefined();
    expect(reconcileErrorEvent(new TypeError('boom'))).toMatchObject({ type: 'Warning', reason: 'ReconcileError', note: expect.stringContaining('TypeError: boom') });
  });
});

describe('EventRecorder', () => {
  let server: Server;
  let stored: Map<string, any>;
  let writes: string[];
  let client: KubeClient;
  let clock: number;
  let metrics: OperatorMetrics;

  beforeEach(async () => {
    stored = new Map();
    writes = [];
    clock = Date.parse('2025-01-01T00:00:00Z');
    metrics = new OperatorMetrics();
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        const send = (code: number, obj: unknown) => {
          res.writeHead(code, { 'content-type': 'application/json' });
          res.end(JSON.stringify(obj));
        };
        const m = /^\/apis\/events\.k8s\.io\/v1\/namespaces\/([^/]+)\/events(?:\/([^/?]+))?$/.exec(req.url ?? '');
        if (!m) return send(404, { kind: 'Status', code: 404, reason: 'NotFound', message: 'no route' });
        writes.push(`${req.method} ${m[2] ?? ''}`);
        const [, ns, name] = m;
        if (req.method === 'POST') {
          const ev = JSON.parse(body);
          const k = `${ns}/${ev.metadata.name}`;
          if (stored.has(k)) return send(409, { kind: 'Status', code: 409, reason: 'AlreadyExists', message: 'exists' });
          stored.set(k, ev);
          return send(201, ev);
        }
        if (req.method === 'PATCH' && name) {
          const ev = stored.get(`${ns}/${name}`);
          if (!ev) return send(404, { kind: 'Status', code: 404, reason: 'NotFound', message: 'gone' });
          expect(req.headers['content-type']).toBe('application/merge-patch+json');
          Object.assign(ev, JSON.parse(body));
          return send(200, ev);
        }
        send(405, { kind: 'Status', code: 405, message: 'no' });
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    // Plain HTTP: client-node allows it only with TLS verification off.
    const kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: 'c', server: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, skipTLSVerify: true }],
      users: [{ name: 'u' }],
      contexts: [{ name: 'ctx', cluster: 'c', user: 'u' }],
      currentContext: 'ctx',
    });
    client = new KubeClient(kc, { observer: metrics.observeRequest });
  });

  afterEach(async () => {
    await new Promise((r) => server.close(r));
  });

  const dropped = async (cause: string) => sumMetric(parseMetrics(await metrics.render()), 'tapline_operator_events_dropped_total', { cause });

  const recorder = (o: { burst?: number } = {}) =>
    new EventRecorder({ client, reportingInstance: 'op-0', log: pino({ level: 'silent' }), metrics, now: () => clock, ...o });
  const input = (note = 'DaemonSet tapline-p ready', uid = 'uid-1'): EventInput => ({
    regarding: { apiVersion: 'tapline.dev/v1alpha1', kind: 'SnifferPolicy', name: 'p', namespace: 'ns', uid },
    type: 'Normal',
    reason: 'Ready',
    action: 'ObserveRollout',
    note,
  });

  it('creates an events.k8s.io/v1 Event with the reporting controller, instance and regarding', async () => {
    const r = recorder();
    r.event(input());
    await r.flush();
    expect(stored.size).toBe(1);
    const [ev] = [...stored.values()];
    expect(ev).toMatchObject({
      apiVersion: 'events.k8s.io/v1',
      kind: 'Event',
      metadata: { namespace: 'ns', name: expect.stringMatching(/^p\.[0-9a-f]+$/) },
      reportingController: 'tapline.dev/operator',
      reportingInstance: 'op-0',
      type: 'Normal',
      reason: 'Ready',
      action: 'ObserveRollout',
      regarding: { kind: 'SnifferPolicy', name: 'p', namespace: 'ns', uid: 'uid-1' },
      eventTime: '2025-01-01T00:00:00.000000Z',
    });
    expect(ev.series).toBeUndefined();
  });

  it('folds identical events within the window into one Event with a series; a different note or object is another Event', async () => {
    const r = recorder();
    for (let i = 0; i < 3; i++) {
      if (i) clock += 1000;
      r.event(input());
      await r.flush();
    }
    expect(stored.size).toBe(1);
    expect([...stored.values()][0].series).toEqual({ count: 3, lastObservedTime: '2025-01-01T00:00:02.000000Z' });
    r.event(input('another note'));
    r.event(input(undefined, 'uid-2'));
    await r.flush();
    expect(stored.size).toBe(3);
    // Past the window (6 minutes), the same event is a new Event.
    clock += 7 * 60_000;
    r.event(input());
    await r.flush();
    expect(stored.size).toBe(4);
    expect(writes.filter((w) => w.startsWith('PATCH'))).toHaveLength(2);
  });

  it('rate-limits writes per object: repeats over the limit are counted and written with a later one', async () => {
    const r = recorder({ burst: 3 });
    for (let i = 0; i < 10; i++) {
      r.event(input('ReconcileError: boom'));
      await r.flush();
    }
    r.event(input('a new event for the same object'));
    await r.flush();
    expect(writes).toHaveLength(3); // 1 create + 2 series patches, then the bucket is empty
    expect(stored.size).toBe(1);
    expect([...stored.values()][0].series.count).toBe(3);
    expect(await dropped('rateLimited')).toBe(8);
    // Another object has its own budget.
    r.event(input('boom', 'uid-2'));
    await r.flush();
    expect(stored.size).toBe(2);
    // Five minutes later a token is back: the next repeat writes the whole count.
    clock += 300_000;
    r.event(input('ReconcileError: boom'));
    await r.flush();
    expect([...stored.values()][0].series.count).toBe(11);
  });

  it('writes repeats recorded while the create is in flight with the create', async () => {
    const r = recorder();
    r.event(input());
    r.event(input());
    await r.flush();
    expect(writes).toEqual(['POST ']);
    expect([...stored.values()][0].series.count).toBe(2);
  });

  it('recreates an Event that expired on the API server, keeping the series', async () => {
    const r = recorder();
    r.event(input());
    await r.flush();
    stored.clear();
    clock += 1000;
    r.event(input());
    await r.flush();
    expect(stored.size).toBe(1);
    expect([...stored.values()][0].series.count).toBe(2);
  });

  it('never throws: a refused write is logged and counted; stop() records nothing more', async () => {
    const r = recorder();
    r.event({ ...input(), regarding: { ...input().regarding, namespace: 'no/such' } });
    await r.flush();
    expect(await dropped('writeFailed')).toBe(1);
    await r.stop();
    r.event(input());
    await r.flush();
    expect(stored.size).toBe(0);
  });
});
