// Where the API server is and who the operator is to it: a kubeconfig file (its current context,
// or one named), or the in-cluster ServiceAccount (token, CA, KUBERNETES_SERVICE_HOST/PORT).
// Supported credentials: client certificates and bearer tokens (inline or tokenFile). Exec and
// auth-provider plugins are refused with a clear message rather than half-supported.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { KubeconfigError } from './errors.js';

/** Everything needed to open an authenticated connection to the API server. */
export interface Connection {
  server: URL;
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
  /** The bearer token, read when needed (projected ServiceAccount tokens are rotated on disk). */
  token?: () => string;
  insecureSkipTlsVerify: boolean;
  /** The namespace of the context (or of the ServiceAccount in a cluster). */
  namespace?: string;
}

const ClusterSchema = z.looseObject({
  server: z.url(),
  'certificate-authority': z.string().optional(),
  'certificate-authority-data': z.string().optional(),
  'insecure-skip-tls-verify': z.boolean().optional(),
});

const UserSchema = z
  .looseObject({
    token: z.string().optional(),
    tokenFile: z.string().optional(),
    'client-certificate': z.string().optional(),
    'client-certificate-data': z.string().optional(),
    'client-key': z.string().optional(),
    'client-key-data': z.string().optional(),
    exec: z.unknown().optional(),
    'auth-provider': z.unknown().optional(),
  })
  .nullish()
  .transform((u) => u ?? {});

const ContextSchema = z.looseObject({ cluster: z.string(), user: z.string(), namespace: z.string().optional() });

const KubeconfigSchema = z.looseObject({
  'current-context': z.string().optional(),
  clusters: z.array(z.looseObject({ name: z.string().min(1), cluster: ClusterSchema })).default([]),
  users: z.array(z.looseObject({ name: z.string().min(1), user: UserSchema })).default([]),
  contexts: z.array(z.looseObject({ name: z.string().min(1), context: ContextSchema })).default([]),
});

function readFile(file: string, what: string): Buffer {
  try {
    return readFileSync(file);
  } catch (e) {
    throw new KubeconfigError(`cannot read ${what} ${file}: ${(e as Error).message}`, { cause: e });
  }
}

function material(dir: string, data: string | undefined, file: string | undefined, what: string): Buffer | undefined {
  if (data) return Buffer.from(data, 'base64');
  if (file) return readFile(path.resolve(dir, file), what);
  return undefined;
}

function tokenReader(file: string): () => string {
  let cached = '';
  let readAt = 0;
  return () => {
    // Re-read at most once a minute: kubelet rotates projected tokens well before they expire.
    if (Date.now() - readAt > 60_000) {
      cached = readFile(file, 'token file').toString('utf8').trim();
      readAt = Date.now();
    }
    return cached;
  };
}

/** Loads a kubeconfig file; `context` defaults to its current-context. */
export function loadKubeconfig(file: string, context?: string): Connection {
  let doc: unknown;
  try {
    doc = parseYaml(readFile(file, 'kubeconfig').toString('utf8'));
  } catch (e) {
    if (e instanceof KubeconfigError) throw e;
    throw new KubeconfigError(`${file} is not YAML: ${(e as Error).message}`, { cause: e });
  }
  const r = KubeconfigSchema.safeParse(doc);
  if (!r.success) throw new KubeconfigError(`${file} is not a kubeconfig: ${r.error.message}`, { cause: r.error });
  const cfg = r.data;
  const ctxName = context ?? cfg['current-context'];
  if (!ctxName) throw new KubeconfigError(`${file} has no current-context; name one`);
  const ctx = cfg.contexts.find((c) => c.name === ctxName)?.context;
  if (!ctx) throw new KubeconfigError(`${file} has no context named ${ctxName}`);
  const cluster = cfg.clusters.find((c) => c.name === ctx.cluster)?.cluster;
  if (!cluster) throw new KubeconfigError(`${file}: context ${ctxName} names cluster ${ctx.cluster}, which is not defined`);
  const user = cfg.users.find((u) => u.name === ctx.user)?.user;
  if (!user) throw new KubeconfigError(`${file}: context ${ctxName} names user ${ctx.user}, which is not defined`);
  if (user.exec !== undefined || user['auth-provider'] !== undefined) {
    throw new KubeconfigError(
      `${file}: user ${ctx.user} uses an exec or auth-provider plugin, which the operator does not run; use a token or client certificate`,
    );
  }
  const dir = path.dirname(path.resolve(file));
  const staticToken = user.token;
  const conn: Connection = {
    server: new URL(cluster.server),
    insecureSkipTlsVerify: cluster['insecure-skip-tls-verify'] ?? false,
  };
  const ca = material(dir, cluster['certificate-authority-data'], cluster['certificate-authority'], 'certificate authority');
  const cert = material(dir, user['client-certificate-data'], user['client-certificate'], 'client certificate');
  const key = material(dir, user['client-key-data'], user['client-key'], 'client key');
  if (ca) conn.ca = ca;
  if (cert) conn.cert = cert;
  if (key) conn.key = key;
  if (staticToken) conn.token = () => staticToken;
  else if (user.tokenFile) conn.token = tokenReader(path.resolve(dir, user.tokenFile));
  if (ctx.namespace) conn.namespace = ctx.namespace;
  return conn;
}

export const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

const InClusterEnvSchema = z.object({
  KUBERNETES_SERVICE_HOST: z.string().min(1),
  KUBERNETES_SERVICE_PORT: z.string().regex(/^[0-9]+$/),
});

/** The in-cluster connection from the pod's ServiceAccount, as client-go's rest.InClusterConfig. */
export function loadInCluster(env: NodeJS.ProcessEnv = process.env, dir = SERVICE_ACCOUNT_DIR): Connection {
  const r = InClusterEnvSchema.safeParse(env);
  if (!r.success) {
    throw new KubeconfigError('not running in a cluster (KUBERNETES_SERVICE_HOST/PORT unset) and no --kubeconfig given', {
      cause: r.error,
    });
  }
  const host = r.data.KUBERNETES_SERVICE_HOST.includes(':') ? `[${r.data.KUBERNETES_SERVICE_HOST}]` : r.data.KUBERNETES_SERVICE_HOST;
  const token = tokenReader(path.join(dir, 'token'));
  token(); // fail now, not on the first request, when there is no token
  let namespace: string | undefined;
  try {
    namespace = readFileSync(path.join(dir, 'namespace'), 'utf8').trim();
  } catch {
    namespace = undefined; // optional: only a default for --lease-namespace
  }
  return {
    server: new URL(`https://${host}:${r.data.KUBERNETES_SERVICE_PORT}`),
    ca: readFile(path.join(dir, 'ca.crt'), 'ServiceAccount CA'),
    token,
    insecureSkipTlsVerify: false,
    ...(namespace ? { namespace } : {}),
  };
}
