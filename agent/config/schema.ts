// The agent's configuration: the contract between the operator (which renders it into a
// ConfigMap, operator/render/agent-config.ts) and the agent (which parses it at start). Versioned:
// a change that an older agent could misread gets a new `version`. Secrets are never in it, only
// the paths where their volumes are mounted. The node name comes from the environment (NODE_NAME,
// downward API), so one ConfigMap serves every node.
import { z } from 'zod';
import { CPUSET_PATTERN, DPDK_VDEV_PATTERN, HUGEPAGE_SIZES, INTERFACE_NAME_PATTERN, PCI_ADDRESS_PATTERN } from './capture-rules.js';

export const AGENT_CONFIG_VERSION = 1;
/** Where the operator mounts the config in the agent container. */
export const AGENT_CONFIG_DIR = '/etc/tapline';
export const AGENT_CONFIG_KEY = 'agent.json';
export const AGENT_CONFIG_PATH = `${AGENT_CONFIG_DIR}/${AGENT_CONFIG_KEY}`;

const name = z.string().min(1).max(253);
const absolutePath = z.string().regex(/^\/[^\0]*$/, { message: 'must be an absolute path' });
const seconds = (max: number) => z.int().min(1).max(max);
/** A NATS subject: dot-separated tokens, no wildcards or whitespace. */
const subject = z.string().regex(/^[^.*>\s]+(\.[^.*>\s]+)*$/, { message: 'must be a NATS subject without wildcards' });

/** A string made safe as one NATS subject token (policy and node names may contain dots). */
export function subjectToken(s: string): string {
  return s.replace(/[.*>\s]/g, '_');
}

const common = {
  filter: z.string().min(1).max(4096).optional(),
  snaplen: z.int().min(64).max(65535),
  workers: z.int().min(1).max(64),
  /** Cpuset list (2-5,8) to pin the workers to, one CPU each, in order. */
  cores: z.string().regex(CPUSET_PATTERN).optional(),
};

export const AfPacketCaptureSchema = z.strictObject({
  backend: z.literal('afpacket'),
  interfaces: z.array(z.string().regex(INTERFACE_NAME_PATTERN)).min(1).max(16),
  ...common,
});

/**
 * The devices of a DPDK agent: PCI addresses listed, or in the env var the SR-IOV device plugin
 * sets, or DPDK virtual devices (nodes without SR-IOV: net_af_packet on the pod's own interface).
 */
export const DpdkDevicesSchema = z.union([
  z.strictObject({ pciAddresses: z.array(z.string().regex(PCI_ADDRESS_PATTERN)).min(1).max(16) }),
  z.strictObject({
    /** e.g. PCIDEVICE_INTEL_COM_SRIOV_VF: comma-separated PCI addresses of the VFs allocated to the pod. */
    pciAddressesFromEnv: z.string().regex(/^PCIDEVICE_[A-Z0-9_-]+$/),
    resourceName: z.string().min(1),
  }),
  z.strictObject({
    /** e.g. net_af_packet0,iface=eth0 (without qpairs, the agent gives net_af_packet one queue pair per worker). */
    vdevs: z
      .array(z.string().max(256).regex(DPDK_VDEV_PATTERN, { message: 'must be a DPDK virtual device such as net_af_packet0,iface=eth0' }))
      .min(1)
      .max(16),
  }),
]);

export const DpdkCaptureSchema = z.strictObject({
  backend: z.literal('dpdk'),
  devices: DpdkDevicesSchema,
  hugepages: z.strictObject({
    pageSize: z.enum(HUGEPAGE_SIZES),
    /** Hugepage memory for the EAL, in MiB (--socket-mem / -m). */
    memoryMiB: z.int().min(2),
    /** hugetlbfs mount (--huge-dir). */
    dir: absolutePath,
  }),
  /** DPDK runtime directory (writable; the root filesystem is read-only). */
  runtimeDir: absolutePath,
  ...common,
});

/**
 * A capture file instead of a NIC: for tests, replays and benchmarks (the operator never renders
 * it). `replayLoops` preloads the file and replays it that many times from memory, timestamps
 * shifted by the capture's span each loop; without it the file is read once from disk.
 */
export const FileCaptureSchema = z.strictObject({
  backend: z.literal('file'),
  path: absolutePath,
  workers: z.int().min(1).max(64),
  replayLoops: z.int().min(1).max(1 << 20).optional(),
});

export const CaptureConfigSchema = z.discriminatedUnion('backend', [AfPacketCaptureSchema, DpdkCaptureSchema, FileCaptureSchema]);

/** Credentials other than a .creds file, each secret in its own file (mounted from a Secret). */
export const NatsAuthSchema = z.discriminatedUnion('method', [
  z.strictObject({ method: z.literal('userPassword'), usernameFile: absolutePath, passwordFile: absolutePath }),
  z.strictObject({ method: z.literal('token'), tokenFile: absolutePath }),
  /** An NKey seed (SU...) file. */
  z.strictObject({ method: z.literal('nkey'), seedFile: absolutePath }),
]);

/**
 * How the agent batches, windows and spools its publishes. Every field is optional; the agent's
 * defaults are in agent/export/options.ts (the operator renders none of them today).
 */
export const PublishTuningSchema = z.strictObject({
  /** Flow records per message at most. */
  batchMaxRecords: z.int().min(1).max(100_000).optional(),
  /** Bytes per message at most (payload); also kept below the server's max_payload. */
  batchMaxBytes: z.int().min(4096).max(64 * 1024 * 1024).optional(),
  /** Publishes awaiting their acknowledgement at once. */
  maxInFlight: z.int().min(1).max(4096).optional(),
  /** How long to wait for one acknowledgement before the publish is retried. */
  ackTimeoutSeconds: z.int().min(1).max(300).optional(),
});

/** Where batches wait while NATS is slow or away: memory first, then a directory on the pod's volume. */
export const SpoolSchema = z.strictObject({
  memoryBytes: z.int().min(1024 * 1024).optional(),
  /** A writable directory (an emptyDir); without it the spool is memory only. */
  dir: absolutePath.optional(),
  diskBytes: z.int().min(1024 * 1024).optional(),
  /** What goes when the spool is full: the oldest batches waiting, or the one arriving. */
  onFull: z.enum(['dropOldest', 'dropNewest']).optional(),
});

export const AgentConfigSchema = z.strictObject({
  version: z.literal(AGENT_CONFIG_VERSION),
  policy: z.strictObject({
    namespace: name,
    name,
    uid: z.string().min(1),
    generation: z.int().min(0),
  }),
  capture: CaptureConfigSchema,
  flows: z.strictObject({
    idleTimeoutSeconds: seconds(86_400),
    activeTimeoutSeconds: seconds(604_800),
    maxFlows: z.int().min(1024).max(2 ** 31),
    /** Finished records each worker's export ring holds for the agent (engine default 65536). */
    exportRingRecords: z.int().min(64).max(1 << 24).optional(),
  }),
  detectors: z.strictObject({
    volumetric: z.strictObject({
      enabled: z.boolean(),
      packetsPerSecond: z.int().min(1).optional(),
      bytesPerSecond: z.int().min(1).optional(),
      windowSeconds: seconds(3600),
    }),
    synFlood: z.strictObject({
      enabled: z.boolean(),
      synsPerSecond: z.int().min(1),
      halfOpenPercent: z.int().min(1).max(100),
      windowSeconds: seconds(3600),
    }),
    portScan: z.strictObject({
      enabled: z.boolean(),
      distinctPorts: z.int().min(2).max(65535),
      distinctHosts: z.int().min(2).max(16_777_216).optional(),
      windowSeconds: seconds(3600),
    }),
    heavyHitters: z.strictObject({ enabled: z.boolean(), topK: z.int().min(1).max(1000), intervalSeconds: seconds(3600) }),
    cooldownSeconds: seconds(86_400),
  }),
  export: z.strictObject({
    servers: z.array(z.string().regex(/^(nats|tls|ws|wss):\/\/\S+$/)).min(1),
    stream: z.string().regex(/^[A-Za-z0-9_-]+$/),
    /** The agent publishes to `<flows>.<subjectToken(NODE_NAME)>` and `<alerts>.<subjectToken(NODE_NAME)>`. */
    subjects: z.strictObject({ flows: subject, alerts: subject }),
    /** Present when the agent should create or update the stream. */
    createStream: z
      .strictObject({
        subjects: z.array(z.string().min(1)).min(1),
        maxAgeSeconds: z.int().min(0),
        maxBytes: z.int().min(1).optional(),
        replicas: z.int().min(1).max(5),
        /** JetStream de-duplication window (Nats-Msg-Id); default 120. Longer than the longest outage to ride out. */
        duplicateWindowSeconds: seconds(7 * 86_400).optional(),
      })
      .optional(),
    /** A NATS .creds file (mounted from a Secret). */
    credentialsFile: absolutePath.optional(),
    /** Or user/password, a token or an NKey seed, from files (not with credentialsFile). */
    auth: NatsAuthSchema.optional(),
    publish: PublishTuningSchema.optional(),
    spool: SpoolSchema.optional(),
    /** Client certificate, key and CA (mounted from a kubernetes.io/tls Secret); caFile may be absent on disk. */
    tls: z.strictObject({ certFile: absolutePath, keyFile: absolutePath, caFile: absolutePath }).optional(),
  }),
  /** Present when flow records get src/dst Kubernetes identities from the operator's identity map (this bucket, on the export's NATS). */
  identity: z.strictObject({ bucket: z.string().regex(/^[A-Za-z0-9_-]+$/) }).optional(),
  metrics: z.strictObject({ port: z.int().min(1).max(65535) }),
  /** SIGTERM: stop capture, flush live flows, publish or spool them, exit within graceSeconds (default 25). */
  shutdown: z.strictObject({ graceSeconds: z.int().min(1).max(3600) }).optional(),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace']).optional(),
});

export type AgentConfig = z.output<typeof AgentConfigSchema>;
export type CaptureConfig = z.output<typeof CaptureConfigSchema>;
export type NatsAuthConfig = z.output<typeof NatsAuthSchema>;
export type ExportConfig = AgentConfig['export'];

/** The agent's environment, set by the DaemonSet (downward API). */
export const AgentEnvSchema = z.object({
  NODE_NAME: z.string().min(1).max(253),
  POD_NAME: z.string().min(1).optional(),
  POD_NAMESPACE: z.string().min(1).optional(),
});
export type AgentEnv = z.output<typeof AgentEnvSchema>;
