// SnifferPolicy specs shared by the zod tests (policy-schema.test.ts) and the API-server tests
// (crd-apiserver.test.ts): each invalid one with the field zod names and the message the API
// server gives, so both layers are held to refusing the same policies.
import type { SnifferPolicySpecInput } from '../../../operator/api/spec.js';

const NATS = { natsUrl: 'nats://nats.nats.svc:4222' };
const AFPACKET = { backend: 'afpacket' as const, interfaces: ['eth0'] };
const DPDK = { backend: 'dpdk' as const, sriovResourceName: 'intel.com/sriov_vf', hugepages: { amount: '1Gi' } };
const VDEV = { backend: 'dpdk' as const, vdevs: ['net_af_packet0,iface=eth0'], hugepages: { amount: '256Mi' } };

export const VALID_SPECS: Record<string, SnifferPolicySpecInput> = {
  'afpacket, minimal': { capture: AFPACKET, export: NATS },
  'afpacket, everything set': {
    nodeSelector: {
      matchLabels: { 'tapline.dev/capture': 'true' },
      matchExpressions: [
        { key: 'node-role.kubernetes.io/control-plane', operator: 'DoesNotExist' },
        { key: 'topology.kubernetes.io/zone', operator: 'In', values: ['eu-west-1a', 'eu-west-1b'] },
      ],
    },
    tolerations: [
      { key: 'dedicated', operator: 'Equal', value: 'capture', effect: 'NoSchedule' },
      { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
      { operator: 'Exists' },
    ],
    capture: {
      backend: 'afpacket',
      interfaces: ['eth0', 'bond0.100'],
      filter: 'not port 22',
      snaplen: 128,
      workers: 4,
      cores: '2-5',
      resources: { cpu: '5', memory: '2Gi' },
    },
    flows: { idleTimeoutSeconds: 30, activeTimeoutSeconds: 300, maxFlows: 4_194_304 },
    detectors: {
      volumetric: { enabled: true, packetsPerSecond: 1_000_000, bytesPerSecond: 10_000_000_000, windowSeconds: 5 },
      synFlood: { enabled: true, synsPerSecond: 20_000 },
      portScan: { enabled: true, distinctPorts: 500 },
      heavyHitters: { enabled: true, topK: 20, intervalSeconds: 30 },
      cooldownSeconds: 600,
    },
    export: {
      natsUrl: 'tls://nats-0.nats:4222,tls://nats-1.nats:4222',
      stream: 'FLOWS',
      subjectPrefix: 'netops.tapline',
      credentialsSecretRef: { name: 'tapline-nats', key: 'agent.creds' },
      tlsSecretRef: { name: 'tapline-nats-tls' },
      createStream: true,
      streamLimits: { maxAgeSeconds: 3600, maxBytes: 50 * 2 ** 30, replicas: 3 },
    },
    metricsPort: 9500,
    paused: false,
  },
  'dpdk, SR-IOV VF, 1Gi hugepages': {
    nodeSelector: { matchLabels: { 'feature.node.kubernetes.io/network-sriov.capable': 'true' } },
    capture: {
      backend: 'dpdk',
      sriovResourceName: 'intel.com/intel_sriov_dpdk',
      workers: 2,
      cores: '4,6',
      hugepages: { pageSize: '1Gi', amount: '2Gi' },
    },
    export: NATS,
  },
  'dpdk, PCI addresses, privileged': {
    capture: {
      backend: 'dpdk',
      pciAddresses: ['0000:3b:02.0', '0000:3b:02.1'],
      hugepages: { amount: '512Mi' },
      privileged: true,
    },
    export: { ...NATS, createStream: false },
  },
  'dpdk, virtual device on the pod\'s eth0 (no SR-IOV)': { capture: VDEV, export: NATS },
  'dpdk, several virtual devices with arguments': {
    capture: {
      backend: 'dpdk',
      vdevs: ['net_af_packet0,iface=eth0,qpairs=2,blocksz=4096', 'net_af_packet1,iface=net1', 'net_pcap0,rx_pcap=/data/replay.pcap'],
      workers: 2,
      hugepages: { pageSize: '2Mi', amount: '512Mi' },
    },
    export: NATS,
  },
};

export interface InvalidExample {
  spec: unknown;
  /** The field zod names (dotted, from the object root). */
  path: string;
  /** Part of zod's message. */
  zod: string;
  /** Part of the API server's message. */
  api: string;
}

export const INVALID_SPECS: Record<string, InvalidExample> = {
  'unknown backend': {
    spec: { capture: { backend: 'pcap', interfaces: ['eth0'] }, export: NATS },
    path: 'spec.capture.backend',
    zod: 'expected one of "afpacket"|"dpdk"',
    api: 'spec.capture.backend: Unsupported value: "pcap"',
  },
  'snaplen above 65535': {
    spec: { capture: { ...AFPACKET, snaplen: 70_000 }, export: NATS },
    path: 'spec.capture.snaplen',
    zod: '<=65535',
    api: 'spec.capture.snaplen: Invalid value: 70000',
  },
  'zero workers': {
    spec: { capture: { ...AFPACKET, workers: 0 }, export: NATS },
    path: 'spec.capture.workers',
    zod: '>=1',
    api: 'spec.capture.workers in body should be greater than or equal to 1',
  },
  'workers as a string': {
    spec: { capture: { ...AFPACKET, workers: 'four' }, export: NATS },
    path: 'spec.capture.workers',
    zod: 'expected number',
    api: 'spec.capture.workers in body must be of type integer',
  },
  'paused as a string': {
    spec: { capture: AFPACKET, export: NATS, paused: 'yes' },
    path: 'spec.paused',
    zod: 'expected boolean',
    api: 'spec.paused in body must be of type boolean',
  },
  'no export': {
    spec: { capture: AFPACKET },
    path: 'spec.export',
    zod: 'expected object',
    api: 'spec.export: Required value',
  },
  'no natsUrl': {
    spec: { capture: AFPACKET, export: { stream: 'FLOWS' } },
    path: 'spec.export.natsUrl',
    zod: 'expected string',
    api: 'spec.export.natsUrl: Required value',
  },
  'http natsUrl': {
    spec: { capture: AFPACKET, export: { natsUrl: 'http://nats:4222' } },
    path: 'spec.export.natsUrl',
    zod: 'must be one or more nats://',
    api: 'spec.export.natsUrl in body should match',
  },
  'interface name too long': {
    spec: { capture: { backend: 'afpacket', interfaces: ['enp175s0f0np0-extra'] }, export: NATS },
    path: 'spec.capture.interfaces[0]',
    zod: 'must be a Linux interface name',
    api: 'spec.capture.interfaces[0] in body should match',
  },
  'duplicate interfaces': {
    spec: { capture: { backend: 'afpacket', interfaces: ['eth0', 'eth0'] }, export: NATS },
    path: 'spec.capture.interfaces',
    zod: 'must not contain duplicates',
    api: 'spec.capture.interfaces[1]: Duplicate value: "eth0"',
  },
  'afpacket without interfaces': {
    spec: { capture: { backend: 'afpacket' }, export: NATS },
    path: 'spec.capture.interfaces',
    zod: 'interfaces are required for the afpacket backend',
    api: 'spec.capture.interfaces: Required value: interfaces are required for the afpacket backend',
  },
  'hugepages with afpacket': {
    spec: { capture: { ...AFPACKET, hugepages: { amount: '1Gi' } }, export: NATS },
    path: 'spec.capture.hugepages',
    zod: 'hugepages are only used by the dpdk backend',
    api: 'spec.capture.hugepages: Forbidden: hugepages are only used by the dpdk backend',
  },
  'dpdk with both SR-IOV resource and PCI addresses': {
    spec: { capture: { ...DPDK, pciAddresses: ['0000:3b:02.0'], privileged: true }, export: NATS },
    path: 'spec.capture.pciAddresses',
    zod: 'set sriovResourceName or pciAddresses, not both',
    api: 'spec.capture.pciAddresses: Forbidden: set sriovResourceName or pciAddresses, not both',
  },
  'dpdk without a device': {
    spec: { capture: { backend: 'dpdk', hugepages: { amount: '1Gi' } }, export: NATS },
    path: 'spec.capture',
    zod: 'the dpdk backend needs sriovResourceName, pciAddresses or vdevs',
    api: 'spec.capture: Required value: the dpdk backend needs sriovResourceName, pciAddresses or vdevs',
  },
  'vdevs with an SR-IOV resource': {
    spec: { capture: { ...VDEV, sriovResourceName: 'intel.com/sriov_vf' }, export: NATS },
    path: 'spec.capture.vdevs',
    zod: 'set vdevs or a NIC (sriovResourceName or pciAddresses), not both',
    api: 'spec.capture.vdevs: Forbidden: set vdevs or a NIC (sriovResourceName or pciAddresses), not both',
  },
  'vdevs with PCI addresses': {
    spec: { capture: { ...VDEV, pciAddresses: ['0000:3b:02.0'], privileged: true }, export: NATS },
    path: 'spec.capture.vdevs',
    zod: 'set vdevs or a NIC (sriovResourceName or pciAddresses), not both',
    api: 'spec.capture.vdevs: Forbidden: set vdevs or a NIC (sriovResourceName or pciAddresses), not both',
  },
  'vdevs with afpacket': {
    spec: { capture: { ...AFPACKET, vdevs: ['net_af_packet0,iface=eth0'] }, export: NATS },
    path: 'spec.capture',
    zod: 'sriovResourceName, pciAddresses and vdevs are for the dpdk backend',
    api: 'spec.capture: Forbidden: sriovResourceName, pciAddresses and vdevs are for the dpdk backend',
  },
  'vdev without an index': {
    spec: { capture: { ...VDEV, vdevs: ['net_af_packet,iface=eth0'] }, export: NATS },
    path: 'spec.capture.vdevs[0]',
    zod: 'must be a DPDK virtual device such as net_af_packet0,iface=eth0',
    api: 'spec.capture.vdevs[0] in body should match',
  },
  'vdev that is not a net_ driver': {
    spec: { capture: { ...VDEV, vdevs: ['crypto_null0'] }, export: NATS },
    path: 'spec.capture.vdevs[0]',
    zod: 'must be a DPDK virtual device',
    api: 'spec.capture.vdevs[0] in body should match',
  },
  'vdev argument without a value': {
    spec: { capture: { ...VDEV, vdevs: ['net_af_packet0,iface'] }, export: NATS },
    path: 'spec.capture.vdevs[0]',
    zod: 'must be a DPDK virtual device',
    api: 'spec.capture.vdevs[0] in body should match',
  },
  'vdev with a space': {
    spec: { capture: { ...VDEV, vdevs: ['net_af_packet0,iface=eth0 --no-huge'] }, export: NATS },
    path: 'spec.capture.vdevs[0]',
    zod: 'must be a DPDK virtual device',
    api: 'spec.capture.vdevs[0] in body should match',
  },
  'two vdevs of one device name': {
    spec: { capture: { ...VDEV, vdevs: ['net_af_packet0,iface=eth0', 'net_af_packet0,iface=net1'] }, export: NATS },
    path: 'spec.capture.vdevs',
    zod: 'vdevs must have distinct device names',
    api: 'spec.capture.vdevs: Invalid value: vdevs must have distinct device names',
  },
  'more than 16 vdevs': {
    spec: { capture: { ...VDEV, vdevs: Array.from({ length: 17 }, (_, i) => `net_null${i}`) }, export: NATS },
    path: 'spec.capture.vdevs',
    zod: '<=16',
    api: 'spec.capture.vdevs: Too many: 17: must have at most 16 items',
  },
  'dpdk without hugepages': {
    spec: { capture: { backend: 'dpdk', sriovResourceName: 'intel.com/sriov_vf' }, export: NATS },
    path: 'spec.capture.hugepages',
    zod: 'the dpdk backend needs hugepages',
    api: 'spec.capture.hugepages: Required value: the dpdk backend needs hugepages',
  },
  'dpdk with interfaces': {
    spec: { capture: { ...DPDK, interfaces: ['eth0'] }, export: NATS },
    path: 'spec.capture.interfaces',
    zod: 'interfaces are for the afpacket backend',
    api: 'spec.capture.interfaces: Forbidden: interfaces are for the afpacket backend',
  },
  'PCI addresses without privileged': {
    spec: { capture: { backend: 'dpdk', pciAddresses: ['0000:3b:02.0'], hugepages: { amount: '1Gi' } }, export: NATS },
    path: 'spec.capture.privileged',
    zod: 'pciAddresses need privileged: true',
    api: 'spec.capture.privileged: Invalid value: pciAddresses need privileged: true',
  },
  'malformed PCI address': {
    spec: { capture: { backend: 'dpdk', pciAddresses: ['3b:02.0'], hugepages: { amount: '1Gi' }, privileged: true }, export: NATS },
    path: 'spec.capture.pciAddresses[0]',
    zod: 'must be a PCI address',
    api: 'spec.capture.pciAddresses[0] in body should match',
  },
  'unknown hugepage size': {
    spec: { capture: { ...DPDK, hugepages: { pageSize: '4Mi', amount: '1Gi' } }, export: NATS },
    path: 'spec.capture.hugepages.pageSize',
    zod: 'expected one of "2Mi"|"1Gi"',
    api: 'spec.capture.hugepages.pageSize: Unsupported value: "4Mi"',
  },
  'hugepages not a whole number of pages': {
    spec: { capture: { ...DPDK, hugepages: { pageSize: '1Gi', amount: '1536Mi' } }, export: NATS },
    path: 'spec.capture.hugepages.amount',
    zod: 'amount must be a whole number of pages',
    api: 'spec.capture.hugepages.amount: Invalid value: amount must be a whole number of pages',
  },
  'fewer cores than workers': {
    spec: { capture: { ...AFPACKET, workers: 4, cores: '2-3' }, export: NATS },
    path: 'spec.capture.cores',
    zod: 'cores must list at least one CPU per worker',
    api: 'spec.capture.cores: Invalid value: cores must list at least one CPU per worker',
  },
  'descending core range': {
    spec: { capture: { ...AFPACKET, cores: '5-2' }, export: NATS },
    path: 'spec.capture.cores',
    zod: 'cores ranges must be ascending',
    api: 'cores ranges must be ascending',
  },
  'CPU quantity in words': {
    spec: { capture: { ...AFPACKET, resources: { cpu: 'two' } }, export: NATS },
    path: 'spec.capture.resources.cpu',
    zod: 'must be a Kubernetes quantity',
    api: 'spec.capture.resources.cpu in body should match',
  },
  'active timeout not above idle timeout': {
    spec: { capture: AFPACKET, flows: { idleTimeoutSeconds: 60, activeTimeoutSeconds: 60 }, export: NATS },
    path: 'spec.flows.activeTimeoutSeconds',
    zod: 'activeTimeoutSeconds must be greater than idleTimeoutSeconds',
    api: 'spec.flows.activeTimeoutSeconds: Invalid value: activeTimeoutSeconds must be greater than idleTimeoutSeconds',
  },
  'flow table too small': {
    spec: { capture: AFPACKET, flows: { maxFlows: 100 }, export: NATS },
    path: 'spec.flows.maxFlows',
    zod: '>=1024',
    api: 'spec.flows.maxFlows in body should be greater than or equal to 1024',
  },
  'volumetric detector without thresholds': {
    spec: { capture: AFPACKET, detectors: { volumetric: { enabled: true } }, export: NATS },
    path: 'spec.detectors.volumetric',
    zod: 'an enabled volumetric detector needs packetsPerSecond or bytesPerSecond',
    api: 'spec.detectors.volumetric: Required value: an enabled volumetric detector needs packetsPerSecond or bytesPerSecond',
  },
  'port scan threshold of one port': {
    spec: { capture: AFPACKET, detectors: { portScan: { enabled: true, distinctPorts: 1 } }, export: NATS },
    path: 'spec.detectors.portScan.distinctPorts',
    zod: '>=2',
    api: 'spec.detectors.portScan.distinctPorts in body should be greater than or equal to 2',
  },
  'toleration Exists with a value': {
    spec: { capture: AFPACKET, tolerations: [{ key: 'dedicated', operator: 'Exists', value: 'capture' }], export: NATS },
    path: 'spec.tolerations[0].value',
    zod: 'value must be omitted when operator is Exists',
    api: 'spec.tolerations[0].value: Forbidden: value must be omitted when operator is Exists',
  },
  'tolerationSeconds without NoExecute': {
    spec: {
      capture: AFPACKET,
      tolerations: [{ key: 'dedicated', value: 'capture', effect: 'NoSchedule', tolerationSeconds: 60 }],
      export: NATS,
    },
    path: 'spec.tolerations[0].tolerationSeconds',
    zod: 'tolerationSeconds requires effect NoExecute',
    api: 'spec.tolerations[0].tolerationSeconds: Invalid value: tolerationSeconds requires effect NoExecute',
  },
  'node selector In without values': {
    spec: { capture: AFPACKET, nodeSelector: { matchExpressions: [{ key: 'zone', operator: 'In' }] }, export: NATS },
    path: 'spec.nodeSelector.matchExpressions[0].values',
    zod: 'values must be set for operators In and NotIn',
    api: 'spec.nodeSelector.matchExpressions[0].values: Invalid value: values must be set for operators In and NotIn',
  },
  'stream replicas above 5': {
    spec: { capture: AFPACKET, export: { ...NATS, streamLimits: { replicas: 7 } } },
    path: 'spec.export.streamLimits.replicas',
    zod: '<=5',
    api: 'spec.export.streamLimits.replicas in body should be less than or equal to 5',
  },
  'credentials secret with an invalid name': {
    spec: { capture: AFPACKET, export: { ...NATS, credentialsSecretRef: { name: 'Tapline_NATS' } } },
    path: 'spec.export.credentialsSecretRef.name',
    zod: 'must be a valid Secret name',
    api: 'spec.export.credentialsSecretRef.name in body should match',
  },
  'misspelt field': {
    spec: { capture: { ...AFPACKET, snapLength: 128 }, export: NATS },
    path: 'spec.capture',
    zod: 'Unrecognized key: "snapLength"',
    api: 'unknown field "spec.capture.snapLength"',
  },
};
