// Agreement with a peer: on the same generated capture, tshark's conversation
// statistics give the same per-direction frame counts for every TCP and UDP
// conversation, and tshark's Community ID of every frame is the one on the
// engine's record for that frame's flow.
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import path from 'node:path';

import { beforeAll, describe, expect, it } from 'vitest';

import { packageRoot } from '../../agent/engine/binding.js';
import type { FlowRecord } from '../../agent/engine/flow-record.js';
import { writeCaptureFile } from '../gen/capture-writer.js';
import { LINKTYPE_ETHERNET } from '../gen/packets.js';
import { buildCapture } from '../gen/scenario.js';
import { mixedScenarios } from '../gen/scenarios.js';
import { runEngine } from '../support/engine-run.js';

const out = path.join(packageRoot(), 'test', '.out', 'peer');

function tshark(args: string[]): string {
  return execFileSync('tshark', ['-n', ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], maxBuffer: 64 << 20 });
}

/** "a:pa b:pb proto" with the two endpoints in a fixed order, and whether (src, dst) was flipped to get it. */
function convKey(proto: number, a: string, pa: number, b: string, pb: number): { key: string; flipped: boolean } {
  const x = `${a}:${pa}`;
  const y = `${b}:${pb}`;
  return x <= y ? { key: `${proto} ${x} ${y}`, flipped: false } : { key: `${proto} ${y} ${x}`, flipped: true };
}

/** Frames each way per conversation, [first endpoint -> second, second -> first]. */
type Directions = Map<string, [number, number]>;

function add(m: Directions, proto: number, a: string, pa: number, b: string, pb: number, aToB: number, bToA: number): void {
  const { key, flipped } = convKey(proto, a, pa, b, pb);
  const cur = m.get(key) ?? [0, 0];
  m.set(key, flipped ? [cur[0] + bToA, cur[1] + aToB] : [cur[0] + aToB, cur[1] + bToA]);
}

function tsharkConversations(file: string): Directions {
  const m: Directions = new Map();
  let proto = 0;
  for (const line of tshark(['-q', '-r', file, '-z', 'conv,tcp', '-z', 'conv,udp']).split('\n')) {
    if (line.startsWith('TCP Conversations')) proto = 6;
    if (line.startsWith('UDP Conversations')) proto = 17;
    // A:pa <-> B:pb  frames(B->A) bytes  frames(A->B) bytes  total ...
    const x = /^(\S+):(\d+)\s+<->\s+(\S+):(\d+)\s+(\d+)\s+[\d,.]+ \S+\s+(\d+)\s+/.exec(line);
    if (x) add(m, proto, x[1]!, Number(x[2]), x[3]!, Number(x[4]), Number(x[6]), Number(x[5]));
  }
  return m;
}

function engineConversations(records: readonly FlowRecord[]): Directions {
  const m: Directions = new Map();
  for (const r of records) {
    if (r.proto === 6 || r.proto === 17) add(m, r.proto, r.srcAddr, r.srcPort, r.dstAddr, r.dstPort, r.packets, r.revPackets);
  }
  return m;
}

describe('agreement with tshark', () => {
  let file: string;
  let records: FlowRecord[];

  beforeAll(async () => {
    mkdirSync(out, { recursive: true });
    // Fragments are left out: tshark reassembles them and counts a datagram once.
    const scenarios = mixedScenarios(21).filter((s) => !s.name.startsWith('fragments'));
    const capture = buildCapture(scenarios);
    file = path.join(out, 'mixed.pcap');
    writeCaptureFile(file, capture.frames, { linktype: LINKTYPE_ETHERNET, precision: capture.precision });
    records = (await runEngine(file, { workers: 2 })).records;
  });

  it('per-direction frame counts of every TCP and UDP conversation match tshark -z conv', () => {
    const theirs = tsharkConversations(file);
    const ours = engineConversations(records);
    expect(theirs.size).toBeGreaterThan(10);
    expect(Object.fromEntries(ours)).toEqual(Object.fromEntries(theirs));
  });

  it('every frame carries the Community ID of its flow record (tshark communityid)', () => {
    const perId = new Map<string, number>();
    for (const line of tshark(['-r', file, '--enable-protocol', 'communityid', '-T', 'fields', '-e', 'communityid']).split('\n')) {
      const id = line.trim();
      if (id) perId.set(id, (perId.get(id) ?? 0) + 1);
    }
    const ours = new Map<string, number>();
    for (const r of records) ours.set(r.communityId, (ours.get(r.communityId) ?? 0) + r.packets + r.revPackets);
    expect(perId.size).toBeGreaterThan(10);
    expect(Object.fromEntries(ours)).toEqual(Object.fromEntries(perId));
  });
});
