// spec.capture: where and how an agent captures packets.
import { z } from 'zod';
import {
  CPUSET_PATTERN,
  DPDK_VDEV_PATTERN,
  HUGEPAGE_SIZES,
  INTERFACE_NAME_PATTERN,
  PCI_ADDRESS_PATTERN,
} from '../../agent/config/capture-rules.js';
import { setOf, withRules } from './cel.js';
import { quantity } from './common.js';

export const BACKENDS = ['afpacket', 'dpdk'] as const;

/** Extended resource name of a device plugin: <vendor domain>/<name>. */
const RESOURCE_NAME_PATTERN =
  /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
/** Hugepages in whole MiB or GiB. */
const HUGEPAGE_AMOUNT_PATTERN = /^[1-9][0-9]{0,5}(Mi|Gi)$/;

export const HugepagesSchema = withRules(
  z.strictObject({
    pageSize: z
      .enum(HUGEPAGE_SIZES)
      .default('2Mi')
      .describe('Hugepage size: 2Mi or 1Gi. The nodes must have pages of this size pre-allocated.'),
    amount: z
      .string()
      .regex(HUGEPAGE_AMOUNT_PATTERN, { message: 'must be a whole number of Mi or Gi, such as 1Gi or 512Mi' })
      .describe('Hugepage memory per agent pod (whole Mi or Gi), such as 1Gi; a multiple of pageSize.'),
  }),
  [
    {
      rule:
        "self.amount.endsWith('Gi') || int(self.amount.substring(0, self.amount.size() - 2)) % (self.pageSize == '1Gi' ? 1024 : 2) == 0",
      message: 'amount must be a whole number of pages (a multiple of pageSize)',
      fieldPath: '.amount',
      holds: (h) => h.amount.endsWith('Gi') || Number(h.amount.slice(0, -2)) % (h.pageSize === '1Gi' ? 1024 : 2) === 0,
    },
  ],
).describe('Hugepages for the DPDK backend (packet buffers and rings).');

export const CaptureResourcesSchema = z
  .strictObject({
    cpu: quantity('2 or 500m')
      .optional()
      .describe('CPU for the agent container (request = limit). Default: one CPU per worker plus one.'),
    memory: quantity('1Gi')
      .optional()
      .describe('Memory for the agent container, hugepages excluded (request = limit). Default: 1Gi.'),
  })
  .describe(
    'CPU and memory of the agent container. Requests equal limits (Guaranteed QoS), so a node running the ' +
      'static CPU manager gives integer CPUs exclusively to the capture workers.',
  );

/** The number of CPUs a cpuset list names ("0,2-5" → 5). */
export function cpusetSize(cpuset: string): number {
  return cpuset.split(',').reduce((n, r) => {
    const [lo, hi] = r.split('-').map(Number);
    return n + (hi === undefined ? 1 : hi - (lo ?? 0) + 1);
  }, 0);
}

function cpusetAscending(cpuset: string): boolean {
  return cpuset.split(',').every((r) => {
    const [lo, hi] = r.split('-').map(Number);
    return hi === undefined || (lo ?? 0) <= hi;
  });
}

const CaptureObject = z.strictObject({
  backend: z
    .enum(BACKENDS)
    .describe(
      'Capture backend. afpacket: AF_PACKET (TPACKET_V3) on host interfaces, no special hardware. ' +
        'dpdk: DPDK poll-mode drivers on SR-IOV virtual functions or PCI devices bound to vfio-pci, or DPDK ' +
        'virtual devices (vdevs), with hugepages.',
    ),
  interfaces: setOf(
    z.string().regex(INTERFACE_NAME_PATTERN, { message: 'must be a Linux interface name (1-15 characters, no "/")' }),
    16,
  )
    .optional()
    .describe('afpacket: host network interfaces to capture from, such as eth0. Required for afpacket.'),
  pciAddresses: setOf(
    z.string().regex(PCI_ADDRESS_PATTERN, { message: 'must be a PCI address such as 0000:3b:02.0' }),
    16,
  )
    .optional()
    .describe(
      'dpdk: PCI addresses (0000:3b:02.0) of devices bound to vfio-pci on every selected node. ' +
        'Needs privileged: true; prefer sriovResourceName.',
    ),
  sriovResourceName: z
    .string()
    .max(316)
    .regex(RESOURCE_NAME_PATTERN, { message: 'must be an extended resource name such as intel.com/sriov_vf' })
    .optional()
    .describe(
      'dpdk: the SR-IOV device plugin resource to request one virtual function from, such as intel.com/sriov_vf. ' +
        'The agent finds the allocated VF in the PCIDEVICE_* environment variable the plugin sets.',
    ),
  vdevs: setOf(
    z
      .string()
      .max(256)
      .regex(DPDK_VDEV_PATTERN, { message: 'must be a DPDK virtual device such as net_af_packet0,iface=eth0' }),
    16,
  )
    .optional()
    .describe(
      'dpdk: DPDK virtual devices instead of a NIC, for nodes without SR-IOV (tests, labs): the driver and an ' +
        'index, then key=value arguments, such as net_af_packet0,iface=eth0 (the agent pod\'s own eth0; ' +
        'without qpairs, one queue pair per worker). With net_af_packet (or net_pcap on an interface) the agent ' +
        'gets NET_RAW and NET_ADMIN, in its own network namespace (no host network); with net_af_xdp ' +
        '(AF_XDP, e.g. net_af_xdp0,iface=eth0) also SYS_ADMIN, which loading its XDP program needs.',
    ),
  filter: z
    .string()
    .min(1)
    .max(4096)
    .optional()
    .describe('Capture filter in tcpdump (pcap-filter) syntax, such as "tcp or udp port 53". Omitted: every packet.'),
  snaplen: z
    .int()
    .min(64)
    .max(65535)
    .default(256)
    .describe('Bytes of each packet kept for parsing (64-65535). Flow byte counts come from IP headers, not this.'),
  workers: z
    .int()
    .min(1)
    .max(64)
    .default(1)
    .describe('Capture workers per node, each on one core with its own RX queue (dpdk) or fanout ring (afpacket).'),
  cores: z
    .string()
    .max(256)
    .regex(CPUSET_PATTERN, { message: 'must be a cpuset list such as 2-5 or 2,4,6-7' })
    .optional()
    .describe('CPUs to pin the workers to, as a cpuset list (2-5 or 2,4,6-7); at least one per worker.'),
  hugepages: HugepagesSchema.optional(),
  resources: CaptureResourcesSchema.optional(),
  privileged: z
    .boolean()
    .default(false)
    .describe(
      'Run the agent container privileged. Needed only for pciAddresses without the SR-IOV device plugin; ' +
        'refused unless the operator is installed with privileged agents allowed.',
    ),
});

type Capture = z.output<typeof CaptureObject>;

export const CaptureSchema = withRules(CaptureObject, [
  {
    rule: "self.backend != 'afpacket' || has(self.interfaces)",
    message: 'interfaces are required for the afpacket backend',
    fieldPath: '.interfaces',
    reason: 'FieldValueRequired',
    holds: (c: Capture) => c.backend !== 'afpacket' || c.interfaces !== undefined,
  },
  {
    rule: "self.backend != 'dpdk' || !has(self.interfaces)",
    message: 'interfaces are for the afpacket backend; dpdk takes sriovResourceName, pciAddresses or vdevs (net_af_packet0,iface=eth0)',
    fieldPath: '.interfaces',
    reason: 'FieldValueForbidden',
    holds: (c: Capture) => c.backend !== 'dpdk' || c.interfaces === undefined,
  },
  {
    rule: '!(has(self.sriovResourceName) && has(self.pciAddresses))',
    message: 'set sriovResourceName or pciAddresses, not both',
    fieldPath: '.pciAddresses',
    reason: 'FieldValueForbidden',
    holds: (c: Capture) => !(c.sriovResourceName !== undefined && c.pciAddresses !== undefined),
  },
  {
    rule: '!has(self.vdevs) || (!has(self.sriovResourceName) && !has(self.pciAddresses))',
    message: 'set vdevs or a NIC (sriovResourceName or pciAddresses), not both',
    fieldPath: '.vdevs',
    reason: 'FieldValueForbidden',
    holds: (c: Capture) => c.vdevs === undefined || (c.sriovResourceName === undefined && c.pciAddresses === undefined),
  },
  {
    rule: "self.backend != 'dpdk' || has(self.sriovResourceName) || has(self.pciAddresses) || has(self.vdevs)",
    message: 'the dpdk backend needs sriovResourceName, pciAddresses or vdevs',
    reason: 'FieldValueRequired',
    holds: (c: Capture) =>
      c.backend !== 'dpdk' || c.sriovResourceName !== undefined || c.pciAddresses !== undefined || c.vdevs !== undefined,
  },
  {
    rule: "self.backend == 'dpdk' || (!has(self.sriovResourceName) && !has(self.pciAddresses) && !has(self.vdevs))",
    message: 'sriovResourceName, pciAddresses and vdevs are for the dpdk backend; afpacket takes interfaces',
    reason: 'FieldValueForbidden',
    holds: (c: Capture) =>
      c.backend === 'dpdk' || (c.sriovResourceName === undefined && c.pciAddresses === undefined && c.vdevs === undefined),
  },
  {
    // EAL refuses two devices of one name; the name is what comes before the first comma.
    rule: "!has(self.vdevs) || self.vdevs.all(v, self.vdevs.filter(w, w.split(',')[0] == v.split(',')[0]).size() == 1)",
    message: 'vdevs must have distinct device names (net_af_packet0, net_af_packet1, ...)',
    fieldPath: '.vdevs',
    holds: (c: Capture) => c.vdevs === undefined || new Set(c.vdevs.map((v) => v.split(',')[0])).size === c.vdevs.length,
  },
  {
    rule: "self.backend != 'dpdk' || has(self.hugepages)",
    message: 'the dpdk backend needs hugepages',
    fieldPath: '.hugepages',
    reason: 'FieldValueRequired',
    holds: (c: Capture) => c.backend !== 'dpdk' || c.hugepages !== undefined,
  },
  {
    rule: "self.backend == 'dpdk' || !has(self.hugepages)",
    message: 'hugepages are only used by the dpdk backend',
    fieldPath: '.hugepages',
    reason: 'FieldValueForbidden',
    holds: (c: Capture) => c.backend === 'dpdk' || c.hugepages === undefined,
  },
  {
    rule: '!has(self.pciAddresses) || self.privileged',
    message: 'pciAddresses need privileged: true (without the SR-IOV device plugin /dev/vfio cannot be opened otherwise); prefer sriovResourceName',
    fieldPath: '.privileged',
    holds: (c: Capture) => c.pciAddresses === undefined || c.privileged,
  },
  {
    rule: "!has(self.cores) || self.cores.split(',').all(r, !r.contains('-') || int(r.split('-')[0]) <= int(r.split('-')[1]))",
    message: 'cores ranges must be ascending (2-5, not 5-2)',
    fieldPath: '.cores',
    holds: (c: Capture) => c.cores === undefined || cpusetAscending(c.cores),
  },
  {
    rule:
      "!has(self.cores) || self.cores.split(',').map(r, r.contains('-') ? int(r.split('-')[1]) - int(r.split('-')[0]) + 1 : 1).sum() >= self.workers",
    message: 'cores must list at least one CPU per worker',
    fieldPath: '.cores',
    holds: (c: Capture) => c.cores === undefined || !cpusetAscending(c.cores) || cpusetSize(c.cores) >= c.workers,
  },
]).describe('Where and how each agent captures packets.');
