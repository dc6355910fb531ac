// TCP latency and retransmissions with a known answer: a generated capture
// (test/gen/scenarios/tcp-latency.ts) with whole-microsecond timestamps, run
// through the engine binding; the JSON lines and the packed records must carry
// exactly the expected values, and the fields not measured must be absent.
import { mkdirSync } from 'node:fs';
import path from 'node:path';

import { beforeAll, describe, expect, it } from 'vitest';

import { packageRoot } from '../../agent/engine/binding.js';
import { PackedRecords } from '../../agent/engine/packed-record.js';
import { writeCaptureFile } from '../gen/capture-writer.js';
import { LINKTYPE_ETHERNET } from '../gen/packets.js';
import { buildCapture } from '../gen/scenario.js';
import { smoothedRtt, tcpLatencyScenario } from '../gen/scenarios/tcp-latency.js';
import { runEngine } from '../support/engine-run.js';

const TCP_FIELDS = ['tcpHandshakeServerUs', 'tcpHandshakeClientUs', 'tcpRttMinUs', 'tcpRttSmoothedUs', 'tcpRetransmits', 'revTcpRetransmits'] as const;

const out = path.join(packageRoot(), 'test', '.out', 'tcp-latency');
beforeAll(() => mkdirSync(out, { recursive: true }));

function writeScenario(precision: 'us' | 'ns'): { file: string; expected: ReturnType<typeof tcpLatencyScenario>['expected'] } {
  const sc = tcpLatencyScenario();
  const capture = buildCapture(sc, { precision });
  const file = path.join(out, `tcp-latency-${precision}.pcap`);
  writeCaptureFile(file, capture.frames, { precision, linktype: LINKTYPE_ETHERNET });
  return { file, expected: sc.expected };
}

describe('TCP latency (flow-record.v2)', () => {
  it('SRTT follows RFC 6298 with alpha 1/8', () => {
    expect(smoothedRtt([5500, 6200, 2800])).toBe(5239); // 5500 -> 5587.5 -> 5239.06
    expect(smoothedRtt([8000])).toBe(8000);
  });

  it.each([
    ['us', 1],
    ['ns', 2],
  ] as const)('JSON lines carry the exact values (%s capture, %i workers)', async (precision, workers) => {
    const { file, expected } = writeScenario(precision);
    const run = await runEngine(file, { workers });
    expect(run.records).toHaveLength(expected.length);
    for (const e of expected) {
      const r = run.records.find((x) => x.srcAddr === e.srcAddr);
      expect(r, e.srcAddr).toBeDefined();
      const got = Object.fromEntries(TCP_FIELDS.filter((f) => r![f] !== undefined).map((f) => [f, r![f]]));
      const { srcAddr: _s, proto: _p, ...want } = e;
      expect(got, e.srcAddr).toEqual(want);
      // The fields come after communityId, in the schema's order.
      const keys = Object.keys(r!);
      expect(keys.slice(keys.indexOf('communityId') + 1)).toEqual(TCP_FIELDS.filter((f) => f in want));
    }
  });

  it('packed records carry the same values, undefined when absent', async () => {
    const { file, expected } = writeScenario('us');
    const run = await runEngine(file, { workers: 1 }, 'packed');
    const seen: string[] = [];
    for (const batch of run.packed) {
      const p = new PackedRecords(batch);
      for (let i = 0; i < p.count; i++) {
        const r = p.at(i);
        const e = expected.find((x) => x.srcAddr === r.srcAddr);
        expect(e, r.srcAddr).toBeDefined();
        seen.push(r.srcAddr);
        for (const f of TCP_FIELDS) expect(r[f], `${r.srcAddr} ${f}`).toBe(e![f]);
      }
    }
    expect(seen.sort()).toEqual(expected.map((e) => e.srcAddr).sort());
  });
});
