// The kwok nodes of the harness: Node objects that kwok plays the kubelet of (annotated
// kwok.x-k8s.io/node=fake), with loopback addresses and pod CIDRs so that anything dialling a
// node or pod address stays on this host. Real nodes are in real-node.mjs.
export const CAPTURE_LABEL = 'tapline.dev/capture';
export const KWOK_ANNOTATION = 'kwok.x-k8s.io/node';

export const MAX_NODES = 2000;

// Loopback addresses per node: the first 250 as before (127.100.i.0/24, 127.0.1.i+1); beyond that
// (benchmarks with many nodes) 127.101-108.x.0/24 and 127.2-9.x.1, clear of kwok's own 127.100.255.0/24.
function nodePodCidr(i) {
  return i < 250 ? `127.100.${i}.0/24` : `127.${101 + ((i - 250) >> 8)}.${(i - 250) & 255}.0/24`;
}
function nodeAddress(i) {
  return i < 250 ? `127.0.1.${i + 1}` : `127.${2 + ((i - 250) >> 8)}.${(i - 250) & 255}.1`;
}

export function nodeObject(name, i, { capture, extraLabels, resources, kubeletVersion }) {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name,
      labels: {
        'kubernetes.io/hostname': name,
        'kubernetes.io/os': 'linux',
        'kubernetes.io/arch': 'amd64',
        'node.kubernetes.io/instance-type': 'kwok',
        type: 'kwok',
        ...(capture ? { [CAPTURE_LABEL]: 'true' } : {}),
        ...extraLabels,
      },
      annotations: { [KWOK_ANNOTATION]: 'fake', 'node.alpha.kubernetes.io/ttl': '0' },
    },
    // Loopback pod CIDR and node address: anything that dials a pod or node IP stays on this host.
    spec: { podCIDR: nodePodCidr(i), podCIDRs: [nodePodCidr(i)] },
    status: {
      addresses: [{ type: 'InternalIP', address: nodeAddress(i) }, { type: 'Hostname', address: name }],
      capacity: resources,
      allocatable: resources,
      nodeInfo: {
        architecture: 'amd64', operatingSystem: 'linux', kubeletVersion, kubeProxyVersion: '',
        containerRuntimeVersion: 'kwok', kernelVersion: 'kwok', osImage: 'kwok', machineID: '', systemUUID: '', bootID: '',
      },
    },
  };
}

export const DEFAULT_RESOURCES = Object.freeze({
  cpu: '32',
  memory: '128Gi',
  pods: '110',
  'ephemeral-storage': '100Gi',
  'hugepages-2Mi': '2Gi',
  'hugepages-1Gi': '8Gi',
});
