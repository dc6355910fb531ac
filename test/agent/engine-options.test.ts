// The agent config -> Engine.open() options mapping (agent/config/engine-options.ts), for the
// live backends the operator renders: what each field becomes, and what is refused.
import { describe, expect, it } from 'vitest';

import { dpdkFilePrefix, engineOptions } from '../../agent/config/engine-options.js';
import { isAgentConfigError } from '../../agent/config/errors.js';
import type { AgentConfig } from '../../agent/config/schema.js';
import { agentConfig } from './support/agent-config.js';

const base = (): AgentConfig => agentConfig('nats://127.0.0.1:4222', '/tmp/none.pcap', 9464) as AgentConfig;

const dpdk = (devices: Extract<AgentConfig['capture'], { backend: 'dpdk' }>['devices']): AgentConfig['capture'] => ({
  backend: 'dpdk',
  devices,
  hugepages: { pageSize: '1Gi', memoryMiB: 2048, dir: '/dev/hugepages' },
  runtimeDir: '/run/dpdk',
  snaplen: 256,
  workers: 2,
  cores: '4,6',
  filter: 'tcp',
});

describe('agent config -> engine options', () => {
  it('maps an AF_PACKET capture: interfaces, cores, filter, snaplen, workers', () => {
    const c = { ...base(), capture: { backend: 'afpacket', interfaces: ['eth1', 'bond0.100'], snaplen: 128, workers: 3, cores: '2-4', filter: 'not port 22' } } as AgentConfig;
    const o = engineOptions(c, {});
    expect(o.source).toEqual({ kind: 'afpacket', interfaces: ['eth1', 'bond0.100'], cores: '2-4' });
    expect(o).toMatchObject({ workers: 3, snaplen: 128, filter: 'not port 22' });
  });

  it('maps a DPDK capture with the SR-IOV device plugin variable; hugepage files in the pod hugetlbfs mount (not in-memory) with a per-policy file prefix', () => {
    const c = { ...base(), capture: dpdk({ pciAddressesFromEnv: 'PCIDEVICE_INTEL_COM_VF', resourceName: 'intel.com/vf' }) } as AgentConfig;
    const o = engineOptions(c, { PCIDEVICE_INTEL_COM_VF: '0000:3b:02.0, 0000:3b:02.1' });
    expect(o.source).toEqual({
      kind: 'dpdk',
      pciAddresses: ['0000:3b:02.0', '0000:3b:02.1'],
      cores: '4,6',
      memoryMiB: 2048,
      hugeDir: '/dev/hugepages',
      filePrefix: dpdkFilePrefix(c.policy),
      inMemory: false,
    });
    expect(o).toMatchObject({ workers: 2, snaplen: 256, filter: 'tcp' });
  });

  it('maps DPDK virtual devices: no PCI addresses, net_af_packet without qpairs gets one queue pair per worker', () => {
    const c = { ...base(), capture: dpdk({ vdevs: ['net_af_packet0,iface=eth0', 'net_af_packet1,iface=net1,qpairs=4', 'net_pcap0,rx_pcap=/data/a.pcap'] }) } as AgentConfig;
    const o = engineOptions(c, { PCIDEVICE_INTEL_COM_VF: '0000:3b:02.0' });
    expect(o.source).toEqual({
      kind: 'dpdk',
      vdevs: ['net_af_packet0,iface=eth0,qpairs=2', 'net_af_packet1,iface=net1,qpairs=4', 'net_pcap0,rx_pcap=/data/a.pcap'],
      cores: '4,6',
      memoryMiB: 2048,
      hugeDir: '/dev/hugepages',
      filePrefix: dpdkFilePrefix(c.policy),
      inMemory: false,
    });
    expect(o).toMatchObject({ workers: 2, snaplen: 256, filter: 'tcp' });
  });

  it('gives two policies different DPDK file prefixes, even when their names sanitise alike', () => {
    const a = dpdkFilePrefix({ namespace: 'net', name: 'edge.a', uid: 'u', generation: 1 });
    const b = dpdkFilePrefix({ namespace: 'net', name: 'edge_a', uid: 'u', generation: 1 });
    expect(a).not.toBe(b);
    for (const p of [a, b]) expect(p).toMatch(/^[A-Za-z0-9_-]{1,64}$/);
  });

  it('refuses a PCIDEVICE_* value that holds no PCI address, naming the field', () => {
    const c = { ...base(), capture: dpdk({ pciAddressesFromEnv: 'PCIDEVICE_INTEL_COM_VF', resourceName: 'intel.com/vf' }) } as AgentConfig;
    let err: unknown;
    try {
      engineOptions(c, { PCIDEVICE_INTEL_COM_VF: 'eth0' });
    } catch (e) {
      err = e;
    }
    expect(isAgentConfigError(err)).toBe(true);
    expect((err as Error).message).toMatch(/^capture\.devices\.pciAddressesFromEnv: PCIDEVICE_INTEL_COM_VF: "eth0" is not a PCI address/);
  });
});
