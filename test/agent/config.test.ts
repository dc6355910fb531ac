// Bad configs are refused at start with a message naming the field and the problem (the built
// `tapline agent --config FILE --check`, and the real start for what needs NATS).
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { packageRoot } from '../../agent/engine/binding.js';
import type { AgentConfig } from '../../agent/config/schema.js';
import { NATS_BUILD_TIMEOUT_MS, NatsTestServer, freePort } from '../nats/server.js';
import { agentConfig, writeConfig } from './support/agent-config.js';
import { runAgentToEnd } from './support/agent-process.js';

const out = path.join(packageRoot(), 'test', '.out', 'agent', 'config');
const capture = path.join(out, 'empty.pcap');
let nats: NatsTestServer;

beforeAll(async () => {
  mkdirSync(out, { recursive: true });
  // a valid pcap with no packets
  const hdr = Buffer.alloc(24);
  hdr.writeUInt32LE(0xa1b2c3d4, 0);
  hdr.writeUInt16LE(2, 4);
  hdr.writeUInt16LE(4, 6);
  hdr.writeUInt32LE(65535, 16);
  hdr.writeUInt32LE(1, 20);
  writeFileSync(capture, hdr);
  nats = await NatsTestServer.start();
}, NATS_BUILD_TIMEOUT_MS);
afterAll(async () => nats?.cleanup());

type Mutate = (c: AgentConfig & Record<string, unknown>) => unknown;

const base = () => agentConfig('nats://127.0.0.1:4222', capture, 9464) as AgentConfig & Record<string, unknown>;

const cases: Array<{ name: string; mutate?: Mutate; text?: string; env?: Record<string, string>; expect: RegExp }> = [
  { name: 'a number as a string', mutate: (c) => ((c.flows as Record<string, unknown>).maxFlows = '65536'), expect: /flows\.maxFlows: Invalid input: expected number, received string/ },
  { name: 'an unknown top-level field (typo)', mutate: (c) => (c.exprot = {}), expect: /\(top level\): unknown field "exprot"/ },
  { name: 'an unknown nested field', mutate: (c) => ((c.export as Record<string, unknown>).subjcts = {}), expect: /export: unknown field "subjcts"/ },
  { name: 'a missing field', mutate: (c) => delete (c.policy as Partial<AgentConfig['policy']>).uid, expect: /policy\.uid: Invalid input: expected string, received undefined/ },
  { name: 'an unsupported version', mutate: (c) => (c.version = 2 as 1), expect: /version: Invalid input: expected 1/ },
  { name: 'a server that is not a NATS URL', mutate: (c) => (c.export.servers = ['http://nats:4222']), expect: /export\.servers\.0: Invalid string/ },
  { name: 'credentials in a server URL', mutate: (c) => (c.export.servers = ['nats://admin:s3cret@nats:4222']), expect: /export\.servers\.0: must not contain credentials/ },
  { name: 'a credentials file that is not there', mutate: (c) => (c.export.credentialsFile = '/nonexistent/nats.creds'), expect: /export\.credentialsFile: no such file: \/nonexistent\/nats\.creds/ },
  { name: 'a relative credentials path', mutate: (c) => (c.export.auth = { method: 'token', tokenFile: 'token.txt' }), expect: /export\.auth\.tokenFile: must be an absolute path/ },
  { name: 'both a creds file and other auth', mutate: (c) => {
    c.export.credentialsFile = capture;
    c.export.auth = { method: 'token', tokenFile: capture };
  }, expect: /export\.auth: give either export\.credentialsFile or export\.auth, not both/ },
  { name: 'an empty filter', mutate: (c) => (c.capture = { backend: 'afpacket', interfaces: ['eth0'], snaplen: 1518, workers: 1, filter: '' }), expect: /capture\.filter: Too small/ },
  { name: 'a filter on the file backend', mutate: (c) => ((c.capture as Record<string, unknown>).filter = 'tcp port 80'), expect: /capture: unknown field "filter"/ },
  { name: 'an interface name longer than Linux allows', mutate: (c) => (c.capture = { backend: 'afpacket', interfaces: ['an-interface-name-too-long'], snaplen: 1518, workers: 1 }), expect: /capture\.interfaces\.0: / },
  { name: 'a capture file that is not there', mutate: (c) => (c.capture = { backend: 'file', path: '/nonexistent/x.pcap', workers: 1 }), expect: /capture\.path: no such file: \/nonexistent\/x\.pcap/ },
  { name: 'a disk spool size without a directory', mutate: (c) => (c.export.spool = { diskBytes: 1 << 30 }), expect: /export\.spool\.diskBytes: needs export\.spool\.dir/ },
  { name: 'an unknown spool rule', mutate: (c) => (c.export.spool = { onFull: 'dropRandom' as 'dropOldest' }), expect: /export\.spool\.onFull: Invalid option: expected one of "dropOldest"\|"dropNewest"/ },
  { name: 'a metrics port out of range', mutate: (c) => (c.metrics.port = 70000), expect: /metrics\.port: Too big/ },
  { name: 'a file that is not JSON', text: '{ "version": 1, ', expect: /config file .* is not JSON/ },
  { name: 'no NODE_NAME in the environment', env: { NODE_NAME: '' }, expect: /env NODE_NAME: Too small/ },
  { name: 'a DPDK VF variable that is not set', mutate: (c) => (c.capture = {
    backend: 'dpdk',
    devices: { pciAddressesFromEnv: 'PCIDEVICE_INTEL_COM_TAPLINE_VF', resourceName: 'intel.com/tapline_vf' },
    hugepages: { pageSize: '2Mi', memoryMiB: 512, dir: '/dev/hugepages' },
    runtimeDir: '/run/dpdk',
    snaplen: 1518,
    workers: 1,
  }), expect: /capture\.devices\.pciAddressesFromEnv: PCIDEVICE_INTEL_COM_TAPLINE_VF is not set: the SR-IOV device plugin sets it/ },
  { name: 'a DPDK virtual device without an index', mutate: (c) => (c.capture = dpdkVdevs(['net_af_packet,iface=eth0'])), expect: /capture\.devices\.vdevs\.0: must be a DPDK virtual device such as net_af_packet0,iface=eth0/ },
  { name: 'DPDK virtual devices beside PCI addresses', mutate: (c) => (c.capture = { ...dpdkVdevs(['net_af_packet0,iface=eth0']), devices: { vdevs: ['net_af_packet0,iface=eth0'], pciAddresses: ['0000:3b:02.0'] } } as unknown as AgentConfig['capture']), expect: /capture\.devices: Invalid input/ },
];

function dpdkVdevs(vdevs: string[]): AgentConfig['capture'] {
  return {
    backend: 'dpdk',
    devices: { vdevs },
    hugepages: { pageSize: '2Mi', memoryMiB: 256, dir: '/dev/hugepages' },
    runtimeDir: '/run/dpdk',
    snaplen: 1518,
    workers: 2,
  };
}

describe('tapline agent --check', () => {
  it('accepts a good config', async () => {
    const file = writeConfig(path.join(out, 'good.json'), base());
    const { code, proc } = await runAgentToEnd(['--config', file, '--check']);
    expect(proc.stderr).toBe('');
    expect(code).toBe(0);
    expect(proc.stdout).toMatch(/config OK \(policy test-ns\/test-policy, node node-a\)/);
  });

  it('accepts a DPDK capture on virtual devices (net_af_packet on the pod\'s eth0)', async () => {
    const cfg = base();
    cfg.capture = dpdkVdevs(['net_af_packet0,iface=eth0']);
    const file = writeConfig(path.join(out, 'good-vdevs.json'), cfg);
    const { code, proc } = await runAgentToEnd(['--config', file, '--check']);
    expect(proc.stderr).toBe('');
    expect(code).toBe(0);
    expect(proc.stdout).toMatch(/config OK/);
  });

  it.each(cases.map((c, i) => [i, c.name, c] as const))('refuses %i: %s', async (i, _name, c) => {
    let config: unknown = c.text;
    if (config === undefined) {
      const cfg = base();
      c.mutate?.(cfg);
      config = cfg;
    }
    const file = writeConfig(path.join(out, `bad-${i}.json`), config);
    const { code, proc } = await runAgentToEnd(['--config', file, '--check'], c.env ?? {});
    expect(code).toBe(1);
    expect(proc.stderr).toMatch(/^tapline agent: /);
    expect(proc.stderr).toMatch(c.expect);
    expect(proc.stderr.split('\n').filter(Boolean)).toHaveLength(1);
  });
});

describe('tapline agent start-up', () => {
  it('refuses a stream that does not exist when creating it is not allowed', async () => {
    const config = agentConfig(nats.url, capture, await freePort());
    config.export.stream = 'NOPE';
    delete config.export.createStream;
    const { code, proc } = await runAgentToEnd(['--config', writeConfig(path.join(out, 'no-stream.json'), config)]);
    expect(code).toBe(1);
    expect(proc.stderr).toMatch(/^tapline agent: stream NOPE does not exist and creating it is not allowed \(export\.createStream is not set\)\n$/);
  });

  it('refuses to start when no NATS server answers, naming the servers', async () => {
    const port = await freePort();
    const config = agentConfig(`nats://127.0.0.1:${port}`, capture, await freePort());
    const { code, proc } = await runAgentToEnd(['--config', writeConfig(path.join(out, 'no-nats.json'), config)]);
    expect(code).toBe(1);
    expect(proc.stderr).toContain(`tapline agent: cannot connect to NATS (nats://127.0.0.1:${port})`);
  });
});
