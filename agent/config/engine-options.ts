// The one place that turns the agent config (and the environment, for the SR-IOV device
// plugin's PCIDEVICE_* variables) into Engine.open() options, checked with the engine's own
// schema so `--check` refuses what Engine.open() would, with the agent config's field named.
import { createHash } from 'node:crypto';

import { EngineOptionsSchema, type EngineOptions } from '../engine/engine.js';
import { pciAddressesFromEnv } from '../engine/live-source.js';
import { AgentConfigError } from './errors.js';
import type { AgentConfig, CaptureConfig } from './schema.js';

type DpdkCapture = Extract<CaptureConfig, { backend: 'dpdk' }>;

/** The PCI addresses a DPDK capture uses: listed in the config, or read from the device plugin's variable; none with vdevs. */
export function dpdkPciAddresses(capture: DpdkCapture, env: NodeJS.ProcessEnv): string[] {
  const d = capture.devices;
  if ('vdevs' in d) return [];
  if ('pciAddresses' in d) return d.pciAddresses;
  try {
    return pciAddressesFromEnv(d.pciAddressesFromEnv, env);
  } catch (err) {
    const field = 'capture.devices.pciAddressesFromEnv';
    throw new AgentConfigError(`${field}: ${(err as Error).message} (SR-IOV resource ${d.resourceName})`, field, undefined, { cause: err });
  }
}

/**
 * DPDK's --file-prefix: unique per policy, so two agents on one node never share hugepage or
 * runtime files; readable, and within DPDK's limit.
 */
export function dpdkFilePrefix(policy: AgentConfig['policy']): string {
  const readable = `tapline_${policy.namespace}_${policy.name}`.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 48);
  return `${readable}_${createHash('sha256').update(`${policy.namespace}/${policy.name}`).digest('hex').slice(0, 8)}`;
}

/**
 * The DPDK virtual devices of a capture, as EAL's --vdev takes them. net_af_packet without
 * `qpairs` gets one queue pair per worker (as `tapline capture --iface` does): the engine needs
 * one RX queue per worker on every port, and the PMD's queues share one kernel fanout group, so
 * each flow stays on one worker.
 */
export function dpdkVdevs(capture: DpdkCapture): string[] {
  const d = capture.devices;
  if (!('vdevs' in d)) return [];
  return d.vdevs.map((v) =>
    /^net_af_packet[0-9]+(,|$)/.test(v) && !/,qpairs=/.test(v) ? `${v},qpairs=${capture.workers}` : v,
  );
}

function source(config: AgentConfig, env: NodeJS.ProcessEnv): EngineOptions['source'] {
  const c = config.capture;
  switch (c.backend) {
    case 'file':
      return c.replayLoops === undefined ? { kind: 'file', path: c.path } : { kind: 'replay', path: c.path, loops: c.replayLoops };
    case 'afpacket':
      return { kind: 'afpacket', interfaces: c.interfaces, ...(c.cores === undefined ? {} : { cores: c.cores }) };
    case 'dpdk':
      return {
        kind: 'dpdk',
        ...('vdevs' in c.devices ? { vdevs: dpdkVdevs(c) } : { pciAddresses: dpdkPciAddresses(c, env) }),
        ...(c.cores === undefined ? {} : { cores: c.cores }),
        memoryMiB: c.hugepages.memoryMiB,
        hugeDir: c.hugepages.dir,
        filePrefix: dpdkFilePrefix(config.policy),
        // Hugepages as files in the pod's hugetlbfs (the kubelet's HugePages emptyDir at
        // hugepages.dir, so the pages are the ones the pod requested), unlinked as soon as they are
        // mapped (--huge-unlink): a crash leaves none behind. The runtime directory is the pod's
        // memory emptyDir (/var/run/dpdk), gone with the pod. --in-memory would take pages from the
        // kernel through memfd instead and leave the mount unused.
        inMemory: false,
      };
  }
}

/**
 * Engine options for a config: source, workers, flow table and timeouts, detectors. Checked with
 * the engine's own schema, so `--check` refuses what Engine.open() would (the field named as in
 * the agent config).
 */
export function engineOptions(config: AgentConfig, env: NodeJS.ProcessEnv = process.env): EngineOptions {
  const f = config.flows;
  const options: EngineOptions = {
    source: source(config, env),
    workers: config.capture.workers,
    maxFlows: f.maxFlows,
    idleTimeoutMs: f.idleTimeoutSeconds * 1000,
    activeTimeoutMs: f.activeTimeoutSeconds * 1000,
    ...(f.exportRingRecords === undefined ? {} : { exportRing: f.exportRingRecords }),
    ...('filter' in config.capture && config.capture.filter !== undefined ? { filter: config.capture.filter } : {}),
    ...('snaplen' in config.capture ? { snaplen: config.capture.snaplen } : {}),
    detectors: config.detectors,
  };
  const r = EngineOptionsSchema.safeParse(options);
  if (!r.success) {
    const issue = r.error.issues[0];
    const p = issue?.path.map(String) ?? [];
    const field = p[0] === 'source' ? 'capture' : p[0] === 'maxFlows' ? 'flows.maxFlows' : p[0] === 'exportRing' ? 'flows.exportRingRecords' : p.join('.');
    throw new AgentConfigError(`${field}: ${issue?.message ?? 'invalid'}`, field, undefined, { cause: r.error });
  }
  return options;
}
