// `tapline operator` flags: parsed with node:util, validated with zod so a bad value names its flag.
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { DEFAULT_AGENT_IMAGE, type OperatorOptionsInput } from '../../operator/main.js';
import { UsageError } from '../usage-error.js';

export const OPERATOR_USAGE = `usage: tapline operator [options]

Runs the Tapline operator: reconciles SnifferPolicies into capture-agent DaemonSets.

options:
  --kubeconfig FILE          kubeconfig to use (default: $KUBECONFIG, else the in-cluster ServiceAccount)
  --context NAME             kubeconfig context (default: its current-context)
  --watch-namespaces a,b     act on policies in these namespaces only (default: all); policies
                             elsewhere get a NamespaceNotWatched condition and nothing is created
  --metrics-port N           port of /metrics, /healthz and /readyz (default 8080; 0 picks one)
  --metrics-bind-address A   address to listen on (default 0.0.0.0)
  --leader-elect             elect a leader with a Lease so replicas are safe (default)
  --no-leader-elect          reconcile without leader election (one replica only)
  --lease-namespace NS       namespace of the leader Lease (default: the ServiceAccount's, else default)
  --identity ID              leader-election identity (default: $POD_NAME, else hostname_pid)
  --workers N                concurrent reconciles, never two for one policy (default 2)
  --agent-image IMAGE        capture-agent image (default ${DEFAULT_AGENT_IMAGE})
  --allow-privileged         let policies ask for privileged agents (capture.privileged)
  --identity-map-nats URLS   write the identity map (cluster address -> namespace, pod, workload,
                             node, service) to this NATS (comma-separated URLs): the same NATS as
                             the policies' spec.export, where agents read it; without it flow
                             records carry no identities (Enriched=False)
  --identity-map-bucket NAME its key-value bucket (default tapline-identity)
  --identity-map-creds FILE  NATS .creds file for it (mounted from a Secret)
  --identity-map-tls-cert FILE, --identity-map-tls-key FILE, --identity-map-tls-ca FILE
                             client certificate, key and CA for TLS to that NATS
  --identity-map-replicas N  replicas of the bucket in a JetStream cluster (default 1)
  --identity-map-pod-cidrs C pod ranges the nodes' spec.podCIDRs do not list (comma-separated):
                             addresses in them with no pod say unknown rather than external
  --log-level LEVEL          trace, debug, info, warn, error (default info)
  -h, --help                 this help
`;

const int = (flag: string, min: number, max: number) =>
  z.coerce
    .number({ error: `${flag}: must be a whole number` })
    .int({ error: `${flag}: must be a whole number` })
    .min(min, { error: `${flag}: must be at least ${min}` })
    .max(max, { error: `${flag}: must be at most ${max}` });

const FlagsSchema = z.object({
  kubeconfig: z.string().min(1, { error: '--kubeconfig: must name a file' }).optional(),
  context: z.string().min(1).optional(),
  'watch-namespaces': z
    .string()
    .transform((s) => s.split(',').map((n) => n.trim()).filter(Boolean))
    .pipe(z.array(z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, { error: '--watch-namespaces: each must be a namespace name' })))
    .optional(),
  'metrics-port': int('--metrics-port', 0, 65535).optional(),
  'metrics-bind-address': z.string().min(1).optional(),
  'leader-elect': z.boolean().optional(),
  'no-leader-elect': z.boolean().optional(),
  'lease-namespace': z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, { error: '--lease-namespace: must be a namespace name' }).optional(),
  identity: z.string().min(1).optional(),
  workers: int('--workers', 1, 64).optional(),
  'agent-image': z.string().min(1, { error: '--agent-image: must not be empty' }).optional(),
  'allow-privileged': z.boolean().optional(),
  'identity-map-nats': z
    .string()
    .transform((s) => s.split(',').map((u) => u.trim()).filter(Boolean))
    .pipe(
      z
        .array(z.string().regex(/^(nats|tls|ws|wss):\/\/[^\s@]+$/, { error: '--identity-map-nats: each must be a URL like nats://host:4222, without credentials' }))
        .min(1, { error: '--identity-map-nats: give at least one URL' }),
    )
    .optional(),
  'identity-map-bucket': z.string().regex(/^[A-Za-z0-9_-]+$/, { error: '--identity-map-bucket: letters, digits, - and _ only' }).optional(),
  'identity-map-creds': z.string().min(1).optional(),
  'identity-map-tls-cert': z.string().min(1).optional(),
  'identity-map-tls-key': z.string().min(1).optional(),
  'identity-map-tls-ca': z.string().min(1).optional(),
  'identity-map-replicas': int('--identity-map-replicas', 1, 5).optional(),
  'identity-map-pod-cidrs': z
    .string()
    .transform((s) => s.split(',').map((c) => c.trim()).filter(Boolean))
    .pipe(z.array(z.union([z.cidrv4(), z.cidrv6()], { error: '--identity-map-pod-cidrs: each must be a CIDR like 10.244.0.0/16' })))
    .optional(),
  'log-level': z.enum(['trace', 'debug', 'info', 'warn', 'error'], { error: '--log-level: must be trace, debug, info, warn or error' }).default('info'),
});

export interface OperatorCommand {
  options: OperatorOptionsInput;
  logLevel: 'trace' | 'debug' | 'info' | 'warn' | 'error';
}

export function parseOperatorArgs(args: string[], env: NodeJS.ProcessEnv = process.env): OperatorCommand | 'help' {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      strict: true,
      allowPositionals: false,
      options: {
        kubeconfig: { type: 'string' },
        context: { type: 'string' },
        'watch-namespaces': { type: 'string' },
        'metrics-port': { type: 'string' },
        'metrics-bind-address': { type: 'string' },
        'leader-elect': { type: 'boolean' },
        'no-leader-elect': { type: 'boolean' },
        'lease-namespace': { type: 'string' },
        identity: { type: 'string' },
        workers: { type: 'string' },
        'agent-image': { type: 'string' },
        'allow-privileged': { type: 'boolean' },
        'identity-map-nats': { type: 'string' },
        'identity-map-bucket': { type: 'string' },
        'identity-map-creds': { type: 'string' },
        'identity-map-tls-cert': { type: 'string' },
        'identity-map-tls-key': { type: 'string' },
        'identity-map-tls-ca': { type: 'string' },
        'identity-map-replicas': { type: 'string' },
        'identity-map-pod-cidrs': { type: 'string' },
        'log-level': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : String(err));
  }
  if (values.help) return 'help';
  const { help: _help, ...flags } = values;
  const r = FlagsSchema.safeParse(flags);
  if (!r.success) throw new UsageError(r.error.issues.map((i) => i.message).join('; '));
  const f = r.data;
  if (f['leader-elect'] && f['no-leader-elect']) throw new UsageError('--leader-elect and --no-leader-elect: give one');
  const kubeconfig = f.kubeconfig ?? env.KUBECONFIG?.split(':').find(Boolean);
  const stray = (['identity-map-creds', 'identity-map-tls-cert', 'identity-map-tls-key', 'identity-map-tls-ca', 'identity-map-replicas', 'identity-map-pod-cidrs'] as const).find(
    (k) => f[k] !== undefined && !f['identity-map-nats'],
  );
  if (stray) throw new UsageError(`--${stray}: only with --identity-map-nats`);
  if (!!f['identity-map-tls-cert'] !== !!f['identity-map-tls-key']) throw new UsageError('--identity-map-tls-cert and --identity-map-tls-key: give both');
  const tls = f['identity-map-tls-cert'] && f['identity-map-tls-key']
    ? { certFile: f['identity-map-tls-cert'], keyFile: f['identity-map-tls-key'], ...(f['identity-map-tls-ca'] ? { caFile: f['identity-map-tls-ca'] } : {}) }
    : undefined;
  return {
    logLevel: f['log-level'],
    options: {
      ...(kubeconfig ? { kubeconfig } : {}),
      ...(f.context ? { context: f.context } : {}),
      ...(f['watch-namespaces'] ? { watchNamespaces: f['watch-namespaces'] } : {}),
      ...(f['metrics-port'] !== undefined ? { metricsPort: f['metrics-port'] } : {}),
      ...(f['metrics-bind-address'] ? { metricsHost: f['metrics-bind-address'] } : {}),
      leaderElect: !f['no-leader-elect'],
      ...(f['lease-namespace'] ? { leaseNamespace: f['lease-namespace'] } : {}),
      ...(f.identity ? { identity: f.identity } : {}),
      ...(f.workers !== undefined ? { workers: f.workers } : {}),
      ...(f['agent-image'] ? { agentImage: f['agent-image'] } : {}),
      ...(f['allow-privileged'] ? { allowPrivileged: true } : {}),
      ...(f['identity-map-bucket'] ? { identityBucket: f['identity-map-bucket'] } : {}),
      ...(f['identity-map-nats']
        ? {
            identityMap: {
              servers: f['identity-map-nats'],
              ...(f['identity-map-creds'] ? { credentialsFile: f['identity-map-creds'] } : {}),
              ...(tls ? { tls } : {}),
              ...(f['identity-map-replicas'] !== undefined ? { replicas: f['identity-map-replicas'] } : {}),
              ...(f['identity-map-pod-cidrs'] ? { extraPodRanges: f['identity-map-pod-cidrs'] } : {}),
            },
          }
        : {}),
    },
  };
}
