// Paths inside the agent container (shared by the config and the DaemonSet).
import { AGENT_CONFIG_DIR } from '../../agent/index.js';

export const MOUNTS = {
  config: AGENT_CONFIG_DIR,
  tmp: '/tmp',
  hugepages: '/dev/hugepages',
  dpdkRuntime: '/var/run/dpdk',
  sys: '/sys',
  vfio: '/dev/vfio',
  natsCredentials: '/var/run/secrets/tapline/nats',
  natsCredentialsFile: 'nats.creds',
  natsTls: '/var/run/secrets/tapline/nats-tls',
} as const;
