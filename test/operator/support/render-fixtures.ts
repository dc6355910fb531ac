// Policies and settings the render tests use.
import { parsePolicy, API_VERSION, KIND, type SnifferPolicy } from '../../../operator/api/policy.js';
import { OperatorSettingsSchema, type OperatorSettings, type OperatorSettingsInput } from '../../../operator/render/settings.js';

export function settings(overrides: Partial<OperatorSettingsInput> = {}): OperatorSettings {
  return OperatorSettingsSchema.parse({ agentImage: 'ghcr.io/tapline/agent:0.1.0', ...overrides });
}

export function policy(name: string, spec: unknown, namespace = 'netops'): SnifferPolicy {
  return parsePolicy({
    apiVersion: API_VERSION,
    kind: KIND,
    metadata: { name, namespace, uid: `uid-${name}`, generation: 2 },
    spec,
  });
}

export const AFPACKET_SPEC = {
  nodeSelector: {
    matchLabels: { 'tapline.dev/capture': 'true' },
    matchExpressions: [{ key: 'node-role.kubernetes.io/control-plane', operator: 'DoesNotExist' }],
  },
  tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'capture', effect: 'NoSchedule' }],
  capture: { backend: 'afpacket', interfaces: ['eth0', 'eth1'], filter: 'not port 22', workers: 2 },
  detectors: { portScan: { enabled: true } },
  export: {
    natsUrl: 'nats://nats.nats.svc:4222',
    credentialsSecretRef: { name: 'tapline-nats' },
  },
};

export const DPDK_SPEC = {
  nodeSelector: { matchLabels: { 'feature.node.kubernetes.io/network-sriov.capable': 'true' } },
  capture: {
    backend: 'dpdk',
    sriovResourceName: 'intel.com/intel_sriov_dpdk',
    workers: 4,
    cores: '2-5',
    hugepages: { pageSize: '1Gi', amount: '2Gi' },
    resources: { cpu: '6', memory: '2Gi' },
  },
  flows: { maxFlows: 8_388_608 },
  detectors: {
    volumetric: { enabled: true, packetsPerSecond: 2_000_000 },
    synFlood: { enabled: true },
    heavyHitters: { enabled: true, topK: 50 },
  },
  export: {
    natsUrl: 'tls://nats-0.nats.nats.svc:4222,tls://nats-1.nats.nats.svc:4222',
    stream: 'FLOWS',
    tlsSecretRef: { name: 'tapline-nats-tls' },
    streamLimits: { maxAgeSeconds: 3600, maxBytes: 107_374_182_400, replicas: 3 },
  },
};
