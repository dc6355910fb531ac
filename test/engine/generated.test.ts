// Correctness with a known answer: the generator (test/gen) writes captures
// whose exact flow records it also computes (test/gen/flow-model.ts); the
// engine must produce exactly those, with one worker and with several.
import { mkdirSync } from 'node:fs';
import path from 'node:path';

import { beforeAll, describe, expect, it } from 'vitest';

import { packageRoot } from '../../agent/engine/binding.js';
import { writeCaptureFile, type WriteCaptureOptions } from '../gen/capture-writer.js';
import { diffRecords, expectFlows, type FlowTimeouts } from '../gen/flow-model.js';
import { LINKTYPE_ETHERNET } from '../gen/packets.js';
import { buildCapture, type BuildOptions, type Capture } from '../gen/scenario.js';
import { buildMixedCapture, longFlowScenario, snaplenScenario } from '../gen/scenarios.js';
import { runEngine } from '../support/engine-run.js';

const out = path.join(packageRoot(), 'test', '.out', 'generated');
beforeAll(() => mkdirSync(out, { recursive: true }));

function write(name: string, capture: Capture, opts: WriteCaptureOptions = {}): string {
  const file = path.join(out, name);
  writeCaptureFile(file, capture.frames, { precision: capture.precision, snaplen: capture.snaplen, linktype: LINKTYPE_ETHERNET, ...opts });
  return file;
}

async function expectExact(file: string, capture: Capture, workers: number, timeouts: FlowTimeouts = {}): Promise<void> {
  const run = await runEngine(file, {
    workers,
    idleTimeoutMs: (timeouts.idleSec ?? 15) * 1000,
    activeTimeoutMs: (timeouts.activeSec ?? 1800) * 1000,
  });
  const expected = expectFlows(capture, timeouts);
  expect(expected.length).toBeGreaterThan(0);
  expect(diffRecords(run.records, expected)).toEqual([]);
  expect(run.stats.packets).toBe(BigInt(capture.frames.length));
  expect(run.stats.ring.drops).toBe(0n);
}

describe.each([1, 3])('generated captures, %i worker(s)', (workers) => {
  it.each([1, 2, 3])('mixed traffic (seed %i): TCP, UDP, ICMP, IPv6, SCTP, VLAN, QinQ, fragments, idle split', async (seed) => {
    const capture = buildMixedCapture(seed);
    await expectExact(write(`mixed-${seed}-${workers}.pcap`, capture), capture, workers);
  });

  it('the same as nanosecond pcapng with Linux cooked v1/v2 and raw-IP interfaces', async () => {
    const capture = buildMixedCapture(4, { linktypes: true, precision: 'ns' });
    await expectExact(write(`mixed-linktypes-${workers}.pcapng`, capture, { format: 'pcapng' }), capture, workers);
  });

  it('the same through gzip', async () => {
    const capture = buildMixedCapture(5);
    await expectExact(write(`mixed-${workers}.pcap.gz`, capture, { gzip: true }), capture, workers);
  });

  it('active timeout: a long flow is exported every interval and goes on', async () => {
    const capture = buildCapture(longFlowScenario({ seed: 6 }));
    await expectExact(write(`long-${workers}.pcap`, capture), capture, workers, { activeSec: 3 });
  });

  it('snaplen-truncated capture: bytes come from the IP headers', async () => {
    const opts: BuildOptions = { snaplen: 96 };
    const capture = buildCapture(snaplenScenario({ seed: 7 }), opts);
    await expectExact(write(`snaplen-${workers}.pcap`, capture), capture, workers);
  });
});
