// DPDK in --no-huge mode with virtual devices, each case in its own
// `tapline capture` process (EAL initialises once per process):
//  - net_pcap replaying a generated capture: the exact records of the
//    generator's flow model (fragments included: nothing defragments here);
//  - the same filter as on the file, run as eBPF by rte_bpf;
//  - net_af_packet with 2 queue pairs on a veth pair, traffic sent through it:
//    exact records, so no flow is split across the two workers, and both
//    queues carried packets;
//  - net_af_xdp (AF_XDP: an XDP program on the veth redirects into a socket
//    whose ring DPDK reads): exact records, and at full speed every frame sent
//    received or counted as dropped;
//  - nothing left behind: no runtime directory, no hugepage file.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import {
  buildLiveCapture, diffIgnoringTime, dpdkLeftovers, fileRecords, liveSkipReason, parseRecords, runCapture, summaryNumber, TestNetns, type LiveCapture,
} from './live-support.js';

describe.skipIf(liveSkipReason !== null)('DPDK capture (--no-huge, virtual devices)', () => {
  let replayed: LiveCapture;
  let xdpTraffic: LiveCapture;
  const netns = new TestNetns('dpdk');
  const xdpNetns = new TestNetns('xdp');
  let before: string[];

  beforeAll(() => {
    before = dpdkLeftovers();
    replayed = buildLiveCapture('dpdk-pcap', 21, { extraFlows: 20, fragments: true });
    netns.create();
    xdpTraffic = buildLiveCapture('dpdk-xdp', 23, { extraFlows: 40 });
    xdpNetns.create(3000); // the largest generated frame is 1,534 octets
  });
  afterAll(() => {
    netns.destroy();
    xdpNetns.destroy();
  });

  it('net_pcap replaying a generated capture: exact per-flow counts, NIC counters reported', async () => {
    const run = await runCapture(['--backend', 'dpdk', '--no-huge', '--vdev', `net_pcap0,rx_pcap=${replayed.file}`, '--duration', '2', '-f', 'jsonl']);
    expect(run.code, run.stderr).toBe(0);
    expect(diffIgnoringTime(parseRecords(run.stdout), replayed.expected)).toEqual([]);
    expect(summaryNumber(run.stderr, 'capture +received')).toBe(replayed.frames);
    expect(summaryNumber(run.stderr, 'imissed')).toBe(0);
    expect(summaryNumber(run.stderr, 'rxNombuf')).toBe(0);
    expect(summaryNumber(run.stderr, 'q0')).toBe(replayed.frames);
    expect(dpdkLeftovers()).toEqual(before);
  });

  it('a filter gives on DPDK (rte_bpf) the records it gives on the file (libpcap)', async () => {
    const filter = 'udp or (vlan and tcp)';
    const expected = await fileRecords(replayed.file, filter);
    expect(expected.length).toBeGreaterThan(10);
    const run = await runCapture(['--backend', 'dpdk', '--no-huge', '--vdev', `net_pcap0,rx_pcap=${replayed.file}`, '--filter', filter, '--duration', '2', '-f', 'jsonl']);
    expect(run.code, run.stderr).toBe(0);
    expect(diffIgnoringTime(parseRecords(run.stdout), expected)).toEqual([]);
    expect(summaryNumber(run.stderr, 'filter rejected')).toBeGreaterThan(0);
  });

  it('net_af_packet with 2 queues on a veth pair: no flow split across the workers', async () => {
    const traffic = buildLiveCapture('dpdk-veth', 22, { extraFlows: 40 });
    const run = await runCapture(
      ['--backend', 'dpdk', '--no-huge', '--vdev', 'net_af_packet0,iface=vrx,qpairs=2', '--workers', '2', '--duration', '3', '-f', 'jsonl'],
      { netns, during: () => netns.replay(traffic.file) },
    );
    expect(run.code, run.stderr).toBe(0);
    expect(diffIgnoringTime(parseRecords(run.stdout), traffic.expected)).toEqual([]);
    expect(summaryNumber(run.stderr, 'q0')).toBeGreaterThan(0);
    expect(summaryNumber(run.stderr, 'q1')).toBeGreaterThan(0);
    expect(summaryNumber(run.stderr, 'w0')).toBeGreaterThan(0);
    expect(summaryNumber(run.stderr, 'w1')).toBeGreaterThan(0);
    expect(dpdkLeftovers()).toEqual(before);
  });

  it('net_af_xdp on a veth pair: exact records, nothing dropped', async () => {
    const traffic = xdpTraffic;
    const run = await runCapture(
      ['--backend', 'dpdk', '--no-huge', '--vdev', 'net_af_xdp0,iface=vrx,start_queue=0,queue_count=1', '--duration', '3', '-f', 'jsonl'],
      { netns: xdpNetns, during: () => xdpNetns.replay(traffic.file) },
    );
    expect(run.code, run.stderr).toBe(0);
    expect(diffIgnoringTime(parseRecords(run.stdout), traffic.expected)).toEqual([]);
    expect(summaryNumber(run.stderr, 'capture +received')).toBe(traffic.frames);
    expect(summaryNumber(run.stderr, 'dropped')).toBe(0);
    expect(summaryNumber(run.stderr, 'ifaceDrops')).toBe(0);
    expect(dpdkLeftovers()).toEqual(before);
  });

  it('net_af_xdp at full speed: every frame sent was received or counted as dropped', async () => {
    const traffic = xdpTraffic;
    const loops = 1500;
    const run = await runCapture(
      ['--backend', 'dpdk', '--no-huge', '--vdev', 'net_af_xdp0,iface=vrx,start_queue=0,queue_count=1', '--duration', '5', '-f', 'jsonl'],
      { netns: xdpNetns, during: () => xdpNetns.exec('tcpreplay', ['-q', '-t', `--loop=${loops}`, '-i', 'vtx', traffic.file]) },
    );
    expect(run.code, run.stderr).toBe(0);
    const received = summaryNumber(run.stderr, 'capture +received') ?? -1;
    const dropped = summaryNumber(run.stderr, 'dropped') ?? -1;
    // The namespace has IPv6 off, so nothing but the replay crosses the pair.
    expect(received + dropped).toBe(traffic.frames * loops);
    expect(summaryNumber(run.stderr, 'ifaceDrops')).toBe(dropped);
  });
});
