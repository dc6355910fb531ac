// The native anomaly detectors through the Engine: generated captures with one
// attack each over normal background traffic, run with one and three workers.
// Each attack must be exactly one alert (one raised, updates, one resolved —
// the same id) with the right key and observed >= threshold; background alone
// raises nothing; heavy-hitter reports list the talkers in order.
import { mkdirSync } from 'node:fs';
import path from 'node:path';

import { beforeAll, describe, expect, it } from 'vitest';

import { type AlertEvent } from '../../agent/engine/alert-event.js';
import { packageRoot } from '../../agent/engine/binding.js';
import { type DetectorOptions } from '../../agent/engine/detector-options.js';
import { Engine } from '../../agent/engine/engine.js';
import { EngineConfigError } from '../../agent/engine/errors.js';
import { type EngineStats } from '../../agent/engine/stats.js';
import { backgroundScenario, bulkTalkersScenario, portScanScenario, synFloodScenario, udpFloodScenario } from '../gen/attacks.js';
import { writeCaptureFile } from '../gen/capture-writer.js';
import { LINKTYPE_ETHERNET } from '../gen/packets.js';
import { buildCapture, DEFAULT_START_SEC, type Scenario } from '../gen/scenario.js';

const out = path.join(packageRoot(), 'test', '.out', 'detectors');
beforeAll(() => mkdirSync(out, { recursive: true }));

const START_MS = DEFAULT_START_SEC * 1000;

const DETECTORS: DetectorOptions = {
  volumetric: { enabled: true, packetsPerSecond: 5000, windowSeconds: 1 },
  synFlood: { enabled: true, synsPerSecond: 1000, halfOpenPercent: 80, windowSeconds: 1 },
  portScan: { enabled: true, distinctPorts: 100, windowSeconds: 2 },
  heavyHitters: { enabled: true, topK: 3, intervalSeconds: 5 },
  cooldownSeconds: 2,
};

function write(name: string, scenarios: Scenario[]): string {
  const capture = buildCapture(scenarios);
  const file = path.join(out, name);
  writeCaptureFile(file, capture.frames, { precision: capture.precision, linktype: LINKTYPE_ETHERNET });
  return file;
}

async function detect(file: string, workers: number, detectors: DetectorOptions = DETECTORS): Promise<{ alerts: AlertEvent[]; stats: EngineStats }> {
  const engine = await Engine.open({ workers, maxFlows: 1 << 16, detectors, source: { kind: 'file', path: file } });
  try {
    engine.start();
    for await (const batch of engine.batches('packed')) void batch;
    const alerts = engine.drainAlerts();
    return { alerts, stats: engine.stats() };
  } finally {
    await engine.close();
  }
}

const background = (seed: number, to = 12) => backgroundScenario({ rate: 150, from: 0, to, seed });

/** The alerts of `type`: exactly one attack, in order raised, updated*, resolved, one id. */
function oneAttack(alerts: AlertEvent[], type: AlertEvent['type']): AlertEvent[] {
  const of = alerts.filter((a) => a.type === type);
  expect(of.length).toBeGreaterThanOrEqual(2);
  expect(of[0]?.state).toBe('raised');
  expect(of.at(-1)?.state).toBe('resolved');
  expect(of.slice(1, -1).every((a) => a.state === 'updated')).toBe(true);
  expect(new Set(of.map((a) => a.id)).size).toBe(1);
  for (const a of of) {
    expect(a.observed).toBeGreaterThanOrEqual(a.threshold);
    expect(a.lastSeenMs).toBeGreaterThanOrEqual(a.firstSeenMs);
  }
  return of;
}

function attackTypes(alerts: AlertEvent[]): string[] {
  return [...new Set(alerts.filter((a) => a.type !== 'heavy_hitters').map((a) => `${a.type} ${a.key.src ?? a.key.dst ?? ''}`))];
}

describe.each([1, 3])('detectors, %i worker(s)', (workers) => {
  it('a SYN flood towards one host is one syn_flood attack on that host', async () => {
    const file = write(`syn-flood-${workers}.pcap`, [background(1), synFloodScenario({ victim: '10.9.9.9', rate: 3000, from: 3, to: 7 })]);
    const { alerts, stats } = await detect(file, workers);
    const attack = oneAttack(alerts, 'syn_flood');
    expect(attack[0]?.key).toEqual({ dst: '10.9.9.9' });
    expect(attack[0]?.metric).toBe('syns_per_second');
    expect(attack[0]?.threshold).toBe(1000);
    expect(attack[0]?.windowMs).toBe(1000);
    expect(attack[0]?.id).toBe(`syn_flood:10.9.9.9:${attack[0]?.firstSeenMs}`);
    expect(attack[0]?.firstSeenMs).toBe(START_MS + 3000);
    expect(attack.at(-1)?.lastSeenMs).toBe(START_MS + 7000);
    // 3000 SYN/s towards one host is also a volumetric flood at 5000 pps? No: 3000 < 5000.
    expect(attackTypes(alerts)).toEqual(['syn_flood 10.9.9.9']);
    expect(stats.alerts?.raised).toBe(1n);
    expect(stats.alerts?.resolved).toBe(1n);
    expect(stats.alerts?.dropped).toBe(0n);
    expect(stats.detectors?.tickDrops).toBe(0n);
  });

  it('a UDP flood is one volumetric attack on its destination', async () => {
    const file = write(`udp-flood-${workers}.pcap`, [background(2), udpFloodScenario({ victim: '10.8.8.8', rate: 20000, from: 2, to: 6 })]);
    const { alerts } = await detect(file, workers);
    const attack = oneAttack(alerts, 'volumetric');
    expect(attack[0]?.key).toEqual({ dst: '10.8.8.8' });
    expect(attack[0]?.metric).toBe('packets_per_second');
    expect(attack[0]?.observed).toBeGreaterThanOrEqual(19000);
    expect(attackTypes(alerts)).toEqual(['volumetric 10.8.8.8']);
  });

  it('a bytes-per-second threshold alone', async () => {
    const file = write(`udp-flood-bytes-${workers}.pcap`, [background(3, 8), udpFloodScenario({ victim: '10.8.8.9', rate: 4000, size: 1200, from: 2, to: 5 })]);
    const { alerts } = await detect(file, workers, { volumetric: { enabled: true, bytesPerSecond: 4_000_000, windowSeconds: 1 }, cooldownSeconds: 1 });
    const attack = oneAttack(alerts, 'volumetric');
    expect(attack[0]?.metric).toBe('bytes_per_second');
    expect(attack[0]?.key).toEqual({ dst: '10.8.8.9' });
    expect(attack[0]?.observed).toBeGreaterThanOrEqual(4000 * 1228);
  });

  it('a vertical port scan is one port_scan attack keyed by the scanner', async () => {
    const file = write(`port-scan-${workers}.pcap`, [background(4), portScanScenario({ scanner: '10.6.6.6', target: '10.2.0.7', ports: 600, rate: 200, from: 2 })]);
    const { alerts } = await detect(file, workers);
    const attack = oneAttack(alerts, 'port_scan');
    expect(attack[0]?.key).toEqual({ src: '10.6.6.6' });
    expect(attack[0]?.metric).toBe('distinct_ports');
    expect(attack[0]?.threshold).toBe(100);
    expect(attackTypes(alerts)).toEqual(['port_scan 10.6.6.6']);
  });

  it('normal traffic alone raises nothing', async () => {
    const file = write(`background-${workers}.pcap`, [backgroundScenario({ rate: 400, from: 0, to: 15, seed: 5 })]);
    const { alerts, stats } = await detect(file, workers);
    expect(attackTypes(alerts)).toEqual([]);
    // Heavy-hitter reports only: 0-5, 5-10, 10-15 s, and a final partial one for the
    // last sessions' packets just after 15 s (the input's end closes it).
    expect(alerts.map((a) => [a.state, a.firstSeenMs - START_MS])).toEqual([
      ['report', 0],
      ['report', 5000],
      ['report', 10000],
      ['report', 15000],
    ]);
    expect(alerts[3]!.lastSeenMs - alerts[3]!.firstSeenMs).toBeLessThan(1000);
    expect(stats.alerts?.raised).toBe(0n);
  });

  it('heavy-hitter reports list the top talkers by bytes, in order', async () => {
    const file = write(`heavy-${workers}.pcap`, [
      background(6, 10),
      bulkTalkersScenario({
        from: 0,
        to: 10,
        talkers: [
          { src: '10.4.0.3', dst: '10.5.5.6', bytesPerSecond: 100_000 },
          { src: '10.4.0.1', dst: '10.5.5.5', bytesPerSecond: 300_000 },
          { src: '10.4.0.2', dst: '10.5.5.5', bytesPerSecond: 200_000 },
        ],
      }),
    ]);
    const { alerts } = await detect(file, workers);
    const reports = alerts.filter((a) => a.type === 'heavy_hitters');
    expect(reports.map((r) => [r.state, r.firstSeenMs - START_MS, r.windowMs])).toEqual([
      ['report', 0, 5000],
      ['report', 5000, 5000],
      ['report', 10000, 5000],  // partial: the background's last sessions end just after 10 s
    ]);
    for (const r of reports.slice(0, 2)) {
      expect(r.top?.filter((h) => h.direction === 'src').map((h) => h.addr)).toEqual(['10.4.0.1', '10.4.0.2', '10.4.0.3']);
      // The two receivers lead (500 and 100 kB/s); third comes the busiest background server.
      const dst = r.top?.filter((h) => h.direction === 'dst').map((h) => h.addr) ?? [];
      expect(dst.slice(0, 2)).toEqual(['10.5.5.5', '10.5.5.6']);
      expect(dst[2]).toMatch(/^10\.2\.0\.[1-4]$/);
      const first = r.top?.[0];
      expect(first?.packets).toBe('1500');  // 300 datagrams/s for 5 s, exact
      expect(first?.bytes).toBe(String(1500 * 1028));
    }
  });
});

describe('detector options', () => {
  it('are checked at open, naming the field', async () => {
    const file = write('options.pcap', [background(7, 1)]);
    const bad: Array<[DetectorOptions, string]> = [
      [{ volumetric: { enabled: true, windowSeconds: 1 }, cooldownSeconds: 1 }, 'detectors.volumetric'],
      [{ synFlood: { enabled: true, synsPerSecond: 10, halfOpenPercent: 101, windowSeconds: 1 }, cooldownSeconds: 1 }, 'detectors.synFlood.halfOpenPercent'],
      [{ cooldownSeconds: 1, sketchWidth: 1000 }, 'detectors.sketchWidth'],
    ];
    for (const [detectors, field] of bad) {
      const err = await Engine.open({ detectors, source: { kind: 'file', path: file } }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(EngineConfigError);
      expect((err as Error).message).toContain(field);
    }
  });

  it('without detectors there are no alerts and no detector counters', async () => {
    const file = write('off.pcap', [synFloodScenario({ victim: '10.9.9.9', rate: 3000, from: 0, to: 2 })]);
    const engine = await Engine.open({ source: { kind: 'file', path: file } });
    engine.start();
    for await (const batch of engine.batches('packed')) void batch;
    expect(engine.drainAlerts()).toEqual([]);
    expect(engine.stats().alerts).toBeUndefined();
    await engine.close();
  });
});
