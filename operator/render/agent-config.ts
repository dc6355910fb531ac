// The agent config a policy renders to (agent/config/schema.ts), its JSON and its hash.
import { createHash } from 'node:crypto';
import {
  AGENT_CONFIG_VERSION,
  AgentConfigSchema,
  subjectToken,
  type AgentConfig,
  type CaptureConfig,
} from '../../agent/index.js';
import type { SnifferPolicy } from '../api/policy.js';
import { AgentConfigRefusedError } from './errors.js';
import { MOUNTS } from './mounts.js';

/** The env var the SR-IOV device plugin sets with the allocated VFs' PCI addresses. */
export function sriovEnvName(resourceName: string): string {
  return `PCIDEVICE_${resourceName.replace(/[./]/g, '_').toUpperCase()}`;
}

function hugepagesMiB(amount: string): number {
  const n = Number(amount.slice(0, -2));
  return amount.endsWith('Gi') ? n * 1024 : n;
}

function captureConfig(policy: SnifferPolicy): CaptureConfig {
  const c = policy.spec.capture;
  const common = {
    ...(c.filter === undefined ? {} : { filter: c.filter }),
    snaplen: c.snaplen,
    workers: c.workers,
    ...(c.cores === undefined ? {} : { cores: c.cores }),
  };
  if (c.backend === 'afpacket') return { backend: 'afpacket', interfaces: c.interfaces ?? [], ...common };
  const hp = c.hugepages;
  // The schema requires hugepages for dpdk; a policy that skipped parsing could lack them.
  if (!hp) throw new AgentConfigRefusedError(`${policy.metadata.namespace}/${policy.metadata.name}: the dpdk backend needs hugepages`);
  return {
    backend: 'dpdk',
    devices: c.vdevs
      ? { vdevs: c.vdevs }
      : c.sriovResourceName
        ? { pciAddressesFromEnv: sriovEnvName(c.sriovResourceName), resourceName: c.sriovResourceName }
        : { pciAddresses: c.pciAddresses ?? [] },
    hugepages: { pageSize: hp.pageSize, memoryMiB: hugepagesMiB(hp.amount), dir: MOUNTS.hugepages },
    runtimeDir: MOUNTS.dpdkRuntime,
    ...common,
  };
}

/** The agent config of `policy`; `identityBucket`: the identity map the agents read when the policy enriches. */
export function agentConfig(policy: SnifferPolicy, identityBucket: string): AgentConfig {
  const { metadata: meta, spec } = policy;
  const x = spec.export;
  const base = `${x.subjectPrefix}.${subjectToken(meta.namespace)}.${subjectToken(meta.name)}`;
  const config = {
    version: AGENT_CONFIG_VERSION,
    policy: { namespace: meta.namespace, name: meta.name, uid: meta.uid, generation: meta.generation ?? 0 },
    capture: captureConfig(policy),
    flows: spec.flows,
    detectors: spec.detectors,
    export: {
      servers: x.natsUrl.split(','),
      stream: x.stream,
      subjects: { flows: `${base}.flows`, alerts: `${base}.alerts` },
      ...(x.createStream
        ? {
            createStream: {
              // The whole prefix, so every policy sharing the stream asks for the same subjects.
              subjects: [`${x.subjectPrefix}.>`],
              maxAgeSeconds: x.streamLimits.maxAgeSeconds,
              ...(x.streamLimits.maxBytes === undefined ? {} : { maxBytes: x.streamLimits.maxBytes }),
              replicas: x.streamLimits.replicas,
            },
          }
        : {}),
      ...(x.credentialsSecretRef ? { credentialsFile: `${MOUNTS.natsCredentials}/${MOUNTS.natsCredentialsFile}` } : {}),
      ...(x.tlsSecretRef
        ? { tls: { certFile: `${MOUNTS.natsTls}/tls.crt`, keyFile: `${MOUNTS.natsTls}/tls.key`, caFile: `${MOUNTS.natsTls}/ca.crt` } }
        : {}),
    },
    ...(spec.enrichment.enabled ? { identity: { bucket: identityBucket } } : {}),
    metrics: { port: spec.metricsPort },
  };
  const r = AgentConfigSchema.safeParse(config);
  if (!r.success) {
    throw new AgentConfigRefusedError(`the agent config of ${meta.namespace}/${meta.name} is invalid: ${r.error.message}`, {
      cause: r.error,
    });
  }
  return r.data;
}

/** The ConfigMap content: stable JSON (key order fixed by agentConfig), newline-terminated. */
export function agentConfigJson(config: AgentConfig): string {
  return `${JSON.stringify(config, null, 2)}\n`;
}

/** sha256 of the config JSON; on the pod template, so a config change rolls the agents. */
export function configHash(json: string): string {
  return createHash('sha256').update(json).digest('hex');
}
