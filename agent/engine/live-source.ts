// The live sources' options (native/src/source/afpacket_config.h and
// dpdk_config.h), close to the agent config's capture section
// (agent/config/schema.ts) so the agent maps one onto the other field by field.
import { z } from 'zod';
import {
  CPUSET_PATTERN,
  DPDK_FILE_PREFIX_PATTERN,
  ENGINE_DPDK_VDEV_PATTERN,
  ENGINE_INTERFACE_NAME_PATTERN,
  PCI_ADDRESS_PATTERN,
} from '../config/capture-rules.js';

const coreList = z.string().regex(CPUSET_PATTERN, { message: 'must be a core list like 2-5,8' });
const pciAddress = z.string().regex(PCI_ADDRESS_PATTERN, { message: 'must be a PCI address DDDD:BB:DD.F' });

export const AfPacketSourceSchema = z
  .object({
    kind: z.literal('afpacket'),
    interfaces: z.array(z.string().regex(ENGINE_INTERFACE_NAME_PATTERN, { message: 'must be an interface name' })).min(1).max(16),
    /** Ring memory per worker and interface. */
    ringMiB: z.number().int().min(1).max(4096).optional(),
    /** TPACKET_V3 block size: a power of two of at least the page size. */
    blockKiB: z.number().int().min(4).max(65536).optional(),
    /** A partly filled block is handed over after this long. */
    blockTimeoutMs: z.number().int().min(1).max(1000).optional(),
    /** PACKET_FANOUT group id (default: a fresh one the kernel picks). */
    fanoutGroup: z.number().int().min(0).max(65535).optional(),
    promiscuous: z.boolean().optional(),
    /** Cpuset list to pin the workers to, one CPU each, in order. */
    cores: coreList.optional(),
  })
  .strict();

export const DpdkSourceSchema = z
  .object({
    kind: z.literal('dpdk'),
    pciAddresses: z.array(pciAddress).max(16).optional(),
    /** DPDK virtual devices (net_pcap0,rx_pcap=FILE / net_af_packet0,iface=IF,qpairs=N / net_ring0 ...). */
    vdevs: z.array(z.string().regex(ENGINE_DPDK_VDEV_PATTERN, { message: 'must be a DPDK vdev like net_pcap0,rx_pcap=FILE' })).max(16).optional(),
    /** EAL lcores: the main lcore, then one per worker (default: lcores float over the allowed CPUs). */
    cores: coreList.optional(),
    /** EAL memory in MiB (-m); with noHuge default 256. */
    memoryMiB: z.number().int().min(0).max(1 << 20).optional(),
    /** --no-huge: anonymous memory instead of hugepages (tests, nodes without hugepages). */
    noHuge: z.boolean().optional(),
    /** hugetlbfs mount (--huge-dir). */
    hugeDir: z.string().regex(/^\/[^\0]*$/, { message: 'must be an absolute path' }).optional(),
    /** --file-prefix: unique per policy so two agents on a node never share hugepage files. */
    filePrefix: z.string().regex(DPDK_FILE_PREFIX_PATTERN).optional(),
    /** --in-memory: no shared runtime or hugepage files at all. */
    inMemory: z.boolean().optional(),
    rxDescriptors: z.number().int().min(64).max(32768).optional(),
    mbufsPerQueue: z.number().int().min(0).max(1 << 20).optional(),
  })
  .strict()
  .refine((d) => (d.pciAddresses?.length ?? 0) + (d.vdevs?.length ?? 0) > 0, {
    message: 'give PCI addresses or vdevs',
    path: ['pciAddresses'],
  });

export type AfPacketSourceOptions = z.input<typeof AfPacketSourceSchema>;
export type DpdkSourceOptions = z.input<typeof DpdkSourceSchema>;

/**
 * The PCI addresses the SR-IOV device plugin put in `PCIDEVICE_<RESOURCE>`
 * (comma-separated) for this pod. Throws naming the variable when it is
 * missing, empty, or holds something that is not a PCI address.
 */
export function pciAddressesFromEnv(variable: string, env: NodeJS.ProcessEnv = process.env): string[] {
  if (!/^PCIDEVICE_[A-Z0-9_]+$/.test(variable)) throw new Error(`${variable}: not a PCIDEVICE_* variable name`);
  const raw = env[variable];
  if (raw === undefined || raw.trim() === '') {
    throw new Error(`${variable} is not set: the SR-IOV device plugin sets it when the pod requests the resource`);
  }
  const list = raw.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
  for (const a of list) {
    if (!pciAddress.safeParse(a).success) throw new Error(`${variable}: "${a}" is not a PCI address (DDDD:BB:DD.F)`);
  }
  return list;
}
