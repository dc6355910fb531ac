// `tapline capture` flags: parsed with node:util, validated with zod so a bad
// value names its flag.

import { z } from 'zod';

import {
  CPUSET_PATTERN,
  DPDK_FILE_PREFIX_PATTERN,
  ENGINE_DPDK_VDEV_PATTERN,
  ENGINE_INTERFACE_NAME_PATTERN,
  FLOW_DEFAULTS,
  PCI_ADDRESS_PATTERN,
} from '../../agent/config/capture-rules.js';
import type { DetectorOptions } from '../../agent/engine/detector-options.js';
import { pciAddressesFromEnv } from '../../agent/engine/live-source.js';
import { ANALYZE_FORMATS } from '../analyze/options.js';
import { DETECT_OPTIONS, detectorOptions } from '../output/detect-options.js';
import { NATS_OUTPUT_OPTIONS, NatsOutputSchema, natsOutput, refuseStdoutFlagsWithNats } from '../output/nats-output.js';
import { parseFlags } from '../parse-flags.js';
import { UsageError } from '../usage-error.js';

const whole = (flag: string, min: number, max: number) =>
  z.coerce
    .number({ error: `${flag}: must be a whole number` })
    .int({ error: `${flag}: must be a whole number` })
    .min(min, { error: `${flag}: must be at least ${min}` })
    .max(max, { error: `${flag}: must be at most ${max}` });

const seconds = (flag: string) =>
  z.coerce
    .number({ error: `${flag}: must be a number of seconds` })
    .positive({ error: `${flag}: must be greater than 0` })
    .max(7 * 24 * 3600, { error: `${flag}: must be at most a week (604800)` });

const CaptureOptionsSchema = z.object({
  backend: z.enum(['afpacket', 'dpdk'], { error: '--backend: must be afpacket or dpdk' }),
  ifaces: z.array(z.string().regex(ENGINE_INTERFACE_NAME_PATTERN, { error: '--iface: not an interface name' })),
  pcis: z.array(z.string().regex(PCI_ADDRESS_PATTERN, { error: '--pci: expected a PCI address DDDD:BB:DD.F (see lspci -D)' })),
  vdevs: z.array(z.string().regex(ENGINE_DPDK_VDEV_PATTERN, { error: '--vdev: expected a DPDK virtual device like net_pcap0,rx_pcap=FILE' })),
  workers: whole('--workers', 1, 64),
  filter: z.string().min(1, { error: '--filter: must not be empty' }).optional(),
  snaplen: whole('--snaplen', 64, 262144),
  duration: seconds('--duration').optional(),
  noHuge: z.boolean(),
  memoryMiB: whole('--memory', 16, 1 << 20).optional(),
  cores: z.string().regex(CPUSET_PATTERN, { error: '--cores: expected a core list like 2-5,8' }).optional(),
  filePrefix: z.string().regex(DPDK_FILE_PREFIX_PATTERN, { error: '--file-prefix: letters, digits, - and _ only' }).optional(),
  hugeDir: z.string().startsWith('/', { error: '--huge-dir: must be an absolute path' }).optional(),
  ringMiB: whole('--ring-mib', 1, 4096).optional(),
  mbufs: whole('--mbufs', 64, 1 << 22).optional(),
  format: z.enum(ANALYZE_FORMATS, { error: `--format: must be one of ${ANALYZE_FORMATS.join(', ')}` }),
  idleTimeout: seconds('--idle-timeout'),
  activeTimeout: seconds('--active-timeout'),
  maxFlows: whole('--max-flows', 16, 2 ** 31),
  top: whole('--top', 1, 1_000_000),
  output: NatsOutputSchema.optional(),
});

export type CaptureOptions = z.infer<typeof CaptureOptionsSchema> & {
  /** --detect: the engine's detector options (validated by the engine's own schema at open). */
  detectors: DetectorOptions | undefined;
};

export function parseCaptureArgs(args: string[], stdoutIsTty: boolean, env: NodeJS.ProcessEnv = process.env): CaptureOptions | 'help' {
  const parsed = parseFlags({
    args,
    allowPositionals: false,
    strict: true,
    options: {
      backend: { type: 'string', short: 'b' },
      iface: { type: 'string', short: 'i', multiple: true },
      pci: { type: 'string', multiple: true },
      'pci-from-env': { type: 'string' },
      vdev: { type: 'string', multiple: true },
      workers: { type: 'string', short: 'w' },
      filter: { type: 'string' },
      snaplen: { type: 'string', short: 's' },
      duration: { type: 'string', short: 'd' },
      'no-huge': { type: 'boolean' },
      memory: { type: 'string' },
      cores: { type: 'string' },
      'file-prefix': { type: 'string' },
      'huge-dir': { type: 'string' },
      'ring-mib': { type: 'string' },
      mbufs: { type: 'string' },
      format: { type: 'string', short: 'f' },
      'idle-timeout': { type: 'string' },
      'active-timeout': { type: 'string' },
      'max-flows': { type: 'string' },
      top: { type: 'string' },
      ...NATS_OUTPUT_OPTIONS,
      ...DETECT_OPTIONS,
      help: { type: 'boolean', short: 'h' },
    },
  });
  const v = parsed.values;
  if (v.help) return 'help';
  if (v.backend === undefined) throw new UsageError('--backend: required (afpacket or dpdk)');
  let pcis = v.pci ?? [];
  if (v['pci-from-env'] !== undefined) {
    try {
      pcis = [...pcis, ...pciAddressesFromEnv(v['pci-from-env'], env)];
    } catch (err) {
      throw new UsageError(`--pci-from-env: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  const result = CaptureOptionsSchema.safeParse({
    backend: v.backend,
    ifaces: v.iface ?? [],
    pcis,
    vdevs: v.vdev ?? [],
    workers: v.workers ?? 1,
    filter: v.filter,
    snaplen: v.snaplen ?? 65535,
    duration: v.duration,
    noHuge: v['no-huge'] ?? false,
    memoryMiB: v.memory,
    cores: v.cores,
    filePrefix: v['file-prefix'],
    hugeDir: v['huge-dir'],
    ringMiB: v['ring-mib'],
    mbufs: v.mbufs,
    format: v.format ?? (stdoutIsTty ? 'table' : 'jsonl'),
    idleTimeout: v['idle-timeout'] ?? FLOW_DEFAULTS.idleTimeoutSeconds,
    activeTimeout: v['active-timeout'] ?? FLOW_DEFAULTS.activeTimeoutSeconds,
    maxFlows: v['max-flows'] ?? FLOW_DEFAULTS.maxFlows,
    top: v.top ?? 20,
    output: natsOutput(v),
  });
  if (!result.success) throw new UsageError(result.error.issues[0]?.message ?? 'invalid options');
  const o = result.data;
  if (o.backend === 'afpacket') {
    if (o.ifaces.length === 0) throw new UsageError('--iface: afpacket needs at least one interface');
    if (o.pcis.length > 0 || o.vdevs.length > 0) throw new UsageError('--pci/--vdev: only with --backend dpdk');
    if (o.noHuge || o.memoryMiB !== undefined || o.filePrefix !== undefined || o.hugeDir !== undefined) {
      throw new UsageError('--no-huge/--memory/--file-prefix/--huge-dir: only with --backend dpdk');
    }
  } else {
    if (o.ifaces.length + o.pcis.length + o.vdevs.length === 0) throw new UsageError('dpdk needs --pci ADDR, --vdev SPEC or --iface NAME');
    if (o.ringMiB !== undefined) throw new UsageError('--ring-mib: only with --backend afpacket');
    if (o.noHuge && o.hugeDir !== undefined) throw new UsageError('--huge-dir: not with --no-huge (no hugepages are used)');
  }
  if (o.backend === 'afpacket' && o.mbufs !== undefined) {
    throw new UsageError('--mbufs: only with --backend dpdk');
  }
  if (o.maxFlows < o.workers) throw new UsageError('--max-flows: must be at least the number of workers');
  refuseStdoutFlagsWithNats(o.output, v);
  return { ...o, detectors: detectorOptions(v) };
}
