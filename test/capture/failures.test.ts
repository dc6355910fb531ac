// Start-up failures of `tapline capture`: each is one clear message naming
// what to fix, exit status 1, a prompt exit (no stuck threads), and nothing
// left behind (DPDK runtime directory, hugepage files).
import path from 'node:path';

import { beforeAll, describe, expect, it } from 'vitest';

import { Engine } from '../../agent/engine/engine.js';
import { isCaptureDeviceError, isCaptureFilterError, isCapturePermissionError, isCaptureSetupError } from '../../agent/engine/errors.js';
import { buildLiveCapture, dpdkLeftovers, liveSkipReason, outDir, runCapture } from './live-support.js';

const NO_HUGE = ['--backend', 'dpdk', '--no-huge', '--duration', '1'];

const onePcap = path.join(outDir, 'failures.pcap');

describe.skipIf(liveSkipReason !== null)('capture start-up failures', () => {
  beforeAll(() => {
    buildLiveCapture('failures', 1);
  });

  it.each([
    ['a PCI address that does not exist', [...NO_HUGE, '--pci', '0000:99:1f.7'], /PCI device 0000:99:1f\.7 does not exist on this node/],
    ['a core list naming CPUs the process may not use', [...NO_HUGE, '--vdev', 'net_null0', '--cores', '0,4000'], /cores: CPU 4000 is not one this process may use/],
    ['a core list too short for the workers', [...NO_HUGE, '--vdev', 'net_null0', '--cores', '0', '-w', '1'], /names 1 CPU\(s\); DPDK needs 2/],
    ['a malformed core list', [...NO_HUGE, '--vdev', 'net_null0', '--cores', '0-'], /--cores: expected a core list/],
    ['a filter that does not compile (DPDK)', [...NO_HUGE, '--vdev', 'net_null0', '--filter', 'tcp port'], /filter "tcp port" does not compile/],
    ['a filter that does not compile (AF_PACKET)', ['--backend', 'afpacket', '--iface', 'lo', '--filter', 'udp and and', '--duration', '1'], /filter "udp and and" does not compile/],
    ['an interface that does not exist', ['--backend', 'afpacket', '--iface', 'tapline-nope0', '--duration', '1'], /interface tapline-nope0 does not exist/],
    ['more workers than the device has RX queues', [...NO_HUGE, '--vdev', `net_pcap0,rx_pcap=${onePcap}`, '-w', '2'], /net_pcap0 \(net_pcap\) has 1 RX queue\(s\); 2 workers need one each/],
  ])('%s', async (_what, args, message) => {
    const before = dpdkLeftovers();
    const run = await runCapture(args, { timeoutMs: 20_000 });
    expect(run.stderr).toMatch(message);
    expect(run.code).toBe(run.stderr.includes('usage:') ? 2 : 1);
    expect(run.ms).toBeLessThan(15_000);
    expect(dpdkLeftovers()).toEqual(before);
  });

  it('no permission: a clear CapturePermissionError (as an unprivileged user)', async () => {
    const { spawnSync } = await import('node:child_process');
    const { taplineBin } = await import('./live-support.js');
    const r = spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', '--inh-caps=-all', process.execPath, taplineBin, 'capture', '--backend', 'afpacket', '--iface', 'lo', '--duration', '1'], {
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(r.stderr).toMatch(/AF_PACKET on lo: socket\(AF_PACKET\): Operation not permitted \(capturing needs CAP_NET_RAW/);
    expect(r.status).toBe(1);
  });

  it('typed errors from Engine.open', async () => {
    const open = (o: Parameters<typeof Engine.open>[0]) => Engine.open(o).then(() => null, (e: unknown) => e);
    expect(isCaptureDeviceError(await open({ source: { kind: 'afpacket', interfaces: ['tapline-nope1'] } }))).toBe(true);
    expect(isCaptureFilterError(await open({ filter: 'port 99999999', source: { kind: 'afpacket', interfaces: ['lo'] } }))).toBe(true);
    expect(isCaptureSetupError(await open({ source: { kind: 'afpacket', interfaces: ['lo'], cores: '4000' } }))).toBe(true);
    expect(isCapturePermissionError(new Error('x'))).toBe(false);
  });
});
