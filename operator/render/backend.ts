// What each capture backend needs from the pod, and why. Everything not listed here is denied:
// capabilities start from "drop ALL", the root filesystem is read-only, seccomp is RuntimeDefault,
// and the container is privileged only when the policy asks and the operator allows it.
import type { SnifferPolicy } from '../api/policy.js';
import { AgentConfigRefusedError } from './errors.js';
import { MOUNTS } from './mounts.js';
import type { Volume, VolumeMount } from './types.js';

export interface BackendNeeds {
  hostNetwork: boolean;
  capabilities: string[];
  /** Extended resources (hugepages, SR-IOV VFs), requested and limited alike. */
  resources: Record<string, string>;
  volumes: Volume[];
  volumeMounts: VolumeMount[];
}

function afpacketNeeds(): BackendNeeds {
  return {
    // AF_PACKET captures from the node's interfaces, which only the host network namespace has.
    hostNetwork: true,
    capabilities: [
      // socket(AF_PACKET, SOCK_RAW): the capture sockets and their TPACKET_V3 rings.
      'NET_RAW',
      // ethtool ioctls that turn GRO/LRO off (coalesced super-frames distort packet counts) and
      // SO_RCVBUFFORCE for socket buffers above net.core.rmem_max.
      'NET_ADMIN',
    ],
    resources: {},
    volumes: [],
    volumeMounts: [],
  };
}

/**
 * Whether a DPDK virtual device opens AF_PACKET sockets: net_af_packet always; net_pcap when it
 * captures from an interface (libpcap's live capture) rather than reading a file.
 */
export function vdevUsesAfPacket(vdev: string): boolean {
  return /^net_af_packet[0-9]+(,|$)/.test(vdev) || /^net_pcap[0-9]+,(.*,)?(iface|rx_iface|rx_iface_in|tx_iface)=/.test(vdev);
}

/** Whether a DPDK virtual device is net_af_xdp (an XDP program on the interface, an AF_XDP socket per queue). */
export function vdevUsesAfXdp(vdev: string): boolean {
  return /^net_af_xdp[0-9]+(,|$)/.test(vdev);
}

function dpdkNeeds(policy: SnifferPolicy): BackendNeeds {
  const c = policy.spec.capture;
  const hp = c.hugepages;
  if (!hp) throw new AgentConfigRefusedError(`${policy.metadata.namespace}/${policy.metadata.name}: the dpdk backend needs hugepages`);
  const volumes: Volume[] = [
    // hugetlbfs backed by the pod's hugepages-<size> allocation (DPDK --huge-dir).
    { name: 'hugepages', emptyDir: { medium: `HugePages-${hp.pageSize}` } },
    // DPDK's runtime directory (EAL config and sockets); the root filesystem is read-only.
    { name: 'dpdk-runtime', emptyDir: { medium: 'Memory', sizeLimit: '16Mi' } },
    // The EAL's PCI scan and VFIO group lookup read /sys/bus/pci, /sys/kernel/iommu_groups and
    // /sys/devices/system/node. The host's /sys, read-only and recursively so (where the runtime
    // supports it) so that its cgroup submount is not writable either; a privileged container
    // (pciAddresses) would otherwise get a writable /sys from the runtime.
    { name: 'sys', hostPath: { path: '/sys', type: 'Directory' } },
  ];
  const volumeMounts: VolumeMount[] = [
    { name: 'hugepages', mountPath: MOUNTS.hugepages },
    { name: 'dpdk-runtime', mountPath: MOUNTS.dpdkRuntime },
    { name: 'sys', mountPath: MOUNTS.sys, readOnly: true, recursiveReadOnly: 'IfPossible' },
  ];
  const resources: Record<string, string> = { [`hugepages-${hp.pageSize}`]: hp.amount };
  // vdevs (net_af_packet on the pod's own eth0, for nodes without SR-IOV) take neither: no VF, no
  // PCI device, so no device-plugin resource and no /dev/vfio.
  if (c.sriovResourceName) {
    // One VF from the SR-IOV device plugin; the plugin also adds its /dev/vfio/<group> device
    // node to the container (and only that one), so no /dev/vfio host path is needed.
    resources[c.sriovResourceName] = '1';
  } else if (c.pciAddresses) {
    // pciAddresses without the device plugin: the VFIO group nodes come from the host. Only with
    // privileged (required by the CRD), because the device cgroup denies them otherwise; the
    // mount matters on runtimes that keep host devices out of privileged containers.
    volumes.push({ name: 'vfio', hostPath: { path: '/dev/vfio', type: 'Directory' } });
    volumeMounts.push({ name: 'vfio', mountPath: MOUNTS.vfio });
  }
  return {
    // The NIC is a VF/PCI device owned by the poll-mode driver, or a virtual device on the pod's
    // own interface: no host network needed.
    hostNetwork: false,
    capabilities: [
      // mlock of hugepage memory, and VFIO DMA mappings pin pages beyond RLIMIT_MEMLOCK only with
      // CAP_IPC_LOCK (vfio_iommu_type1). Not SYS_RAWIO: with VFIO the EAL runs in IOVA-as-VA mode
      // and never reads physical addresses from /proc/self/pagemap. Not SYS_ADMIN: hugetlbfs is
      // mounted by the kubelet (the emptyDir above), not by the EAL.
      'IPC_LOCK',
      // get_mempolicy/set_mempolicy/mbind: the EAL places its hugepage memory on the NIC's NUMA
      // node through them, and the runtime's default seccomp profile (the pod's RuntimeDefault)
      // allows them only to a process with CAP_SYS_NICE. Without it the EAL fails with "Cannot init
      // memory" (seen on a real kubelet with containerd 2.4). Nothing here sets priorities.
      'SYS_NICE',
      // net_af_packet (and net_pcap on an interface) capture through AF_PACKET sockets, which need
      // NET_RAW; the PMD then turns promiscuous mode on with SIOCSIFFLAGS, which needs NET_ADMIN
      // (measured: without it the port fails to start with EPERM). Without the host network both
      // reach only the pod's own network namespace.
      ...((c.vdevs ?? []).some((v) => vdevUsesAfPacket(v) || vdevUsesAfXdp(v)) ? ['NET_RAW', 'NET_ADMIN'] : []),
      // net_af_xdp also loads an XDP program and looks its socket map up by id (libxdp), which the
      // kernel allows only with SYS_ADMIN (measured with Debian 12's DPDK 22.11 and libxdp 1.3: with
      // NET_RAW, NET_ADMIN, BPF and PERFMON but not SYS_ADMIN the socket is refused). Only when asked for.
      ...((c.vdevs ?? []).some(vdevUsesAfXdp) ? ['SYS_ADMIN'] : []),
    ],
    resources,
    volumes,
    volumeMounts,
  };
}

export function backendNeeds(policy: SnifferPolicy): BackendNeeds {
  return policy.spec.capture.backend === 'afpacket' ? afpacketNeeds() : dpdkNeeds(policy);
}
