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
    },
  };
}
