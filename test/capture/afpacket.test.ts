// AF_PACKET live capture on a veth pair in a network namespace the test
// creates: a generated capture is replayed into one end (tcpreplay) while
// `tapline capture --backend afpacket` listens on the other; the records must
// be exactly those the generator's flow model gives, with 1 and 2 workers
// (the fanout group keeps each flow on one worker), with a filter (the same
// records the filter gives on the file), and the kernel's counters reported.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import {
  buildLiveCapture, diffIgnoringTime, fileRecords, liveSkipReason, parseRecords, runCapture, summaryNumber, TestNetns, type LiveCapture,
} from './live-support.js';

describe.skipIf(liveSkipReason !== null)('AF_PACKET capture on a veth pair', () => {
  const netns = new TestNetns('afp');
  let traffic: LiveCapture;

  beforeAll(() => {
    netns.create();
    traffic = buildLiveCapture('afpacket-live', 11, { extraFlows: 40 });
  });
  afterAll(() => netns.destroy());

  it.each([1, 2])('exact flow records with %i worker(s), kernel counters reported', async (workers) => {
    const run = await runCapture(['--backend', 'afpacket', '--iface', 'vrx', '--workers', String(workers), '--duration', '3', '--format', 'jsonl'], {
      netns,
      during: () => netns.replay(traffic.file),
    });
    expect(run.stderr).toContain('listening');
    expect(run.code, run.stderr).toBe(0);
    const records = parseRecords(run.stdout);
    expect(traffic.expected.length).toBeGreaterThan(50);
    expect(diffIgnoringTime(records, traffic.expected)).toEqual([]);
    // The kernel's PACKET_STATISTICS: everything delivered, nothing dropped.
    expect(summaryNumber(run.stderr, 'capture +received')).toBe(traffic.frames);
    expect(summaryNumber(run.stderr, 'kernelDrops')).toBe(0);
    expect(summaryNumber(run.stderr, '  packets')).toBe(traffic.frames);
    if (workers === 2) {
      // Both workers got a share (the fanout hash spread the flows).
      expect(summaryNumber(run.stderr, 'w0')).toBeGreaterThan(0);
      expect(summaryNumber(run.stderr, 'w1')).toBeGreaterThan(0);
    }
  });

  it.each([
    ['udp or icmp', 1],
    ['tcp port 80 or (vlan and tcp) or ip6', 2],
  ])('filter "%s" (%i workers) keeps exactly what it keeps on the capture file', async (filter, workers) => {
    const expected = await fileRecords(traffic.file, filter);
    const all = await fileRecords(traffic.file);
    expect(expected.length).toBeGreaterThan(0);
    expect(expected.length).toBeLessThan(all.length);
    const run = await runCapture(['--backend', 'afpacket', '--iface', 'vrx', '-w', String(workers), '--filter', filter, '--duration', '3', '-f', 'jsonl'], {
      netns,
      during: () => netns.replay(traffic.file),
    });
    expect(run.code, run.stderr).toBe(0);
    expect(diffIgnoringTime(parseRecords(run.stdout), expected)).toEqual([]);
  });

  it('a VLAN-tagged flow keeps its tag (the kernel strips it; the source puts it back)', async () => {
    const tagged = traffic.expected.filter((r) => r.vlan !== null);
    expect(tagged.length).toBeGreaterThanOrEqual(2); // 802.1Q and QinQ
    const run = await runCapture(['--backend', 'afpacket', '--iface', 'vrx', '--filter', 'vlan', '--duration', '2', '-f', 'jsonl'], {
      netns,
      during: () => netns.replay(traffic.file),
    });
    expect(run.code, run.stderr).toBe(0);
    expect(diffIgnoringTime(parseRecords(run.stdout), tagged)).toEqual([]);
  });

  it('idle flows expire while no packets arrive (wall clock, not the packet clock)', async () => {
    const run = await runCapture(['--backend', 'afpacket', '--iface', 'vrx', '--idle-timeout', '0.5', '--duration', '3', '-f', 'jsonl'], {
      netns,
      during: () => netns.replay(traffic.file),
    });
    expect(run.code, run.stderr).toBe(0);
    const records = parseRecords(run.stdout);
    // Nothing is left for the shutdown flush: every open flow went idle first.
    expect(records.filter((r) => r.endReason === 'shutdown')).toEqual([]);
    expect(records.filter((r) => r.endReason === 'idle').length).toBeGreaterThan(40);
  });

  it('SIGTERM stops the capture and flushes every live flow with end reason "shutdown"', async () => {
    const p = runCapture(['--backend', 'afpacket', '--iface', 'vrx', '-f', 'jsonl'], {
      netns,
      during: (child) => {
        netns.replay(traffic.file);
        setTimeout(() => child.kill('SIGTERM'), 500);
      },
      timeoutMs: 20_000,
    });
    const run = await p;
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toContain('interrupted');
    expect(diffIgnoringTime(parseRecords(run.stdout), traffic.expected)).toEqual([]);
  });
});
