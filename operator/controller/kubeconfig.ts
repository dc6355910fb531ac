// Where the API server is and who the operator is to it, as a @kubernetes/client-node KubeConfig:
// a kubeconfig file (its current context, or one named), or the in-cluster ServiceAccount.
// client-node runs every kind of kubeconfig user: client certificates, bearer tokens, exec
// plugins (EKS `aws eks get-token`, GKE `gke-gcloud-auth-plugin`, AKS `kubelogin`) and
// auth-provider plugins (oidc, azure, gcp). What this file adds to it:
//   - a kubeconfig that cannot work fails here, with KubeconfigError, not at the first request:
//     unreadable or not YAML, no such context, a context naming a cluster or user that is not
//     defined, certificate/key/token files that cannot be read;
//   - `tokenFile` (kubectl's field; client-node 1.4 reads only `token`): the token is read from the
//     file when needed, at most once a minute (rotated tokens are picked up), whitespace trimmed;
//   - the in-cluster config from an environment and a directory passed in (so it can be tested),
//     built as client-node's loadFromCluster() builds it, with the token file read as above.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { KubeConfig, type User } from '@kubernetes/client-node';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { KubeconfigError } from './errors.js';

/** client-node's authenticator plug-in interface (not exported by name from its index). */
type Authenticator = Parameters<KubeConfig['addAuthenticator']>[0];

/** The auth-provider name under which a user's token is read from a file (see TokenFileAuth). */
const TOKEN_FILE_PROVIDER = 'tapline-token-file';

function readFile(file: string, what: string): Buffer {
  try {
    return readFileSync(file);
  } catch (e) {
    throw new KubeconfigError(`cannot read ${what} ${file}: ${(e as Error).message}`, { cause: e });
  }
}

/**
 * Bearer tokens from a file (a kubeconfig `tokenFile`, the in-cluster ServiceAccount token): read
 * when a request needs one, at most once a minute, as client-go does; kubelet rotates projected
 * tokens well before they expire.
 */
class TokenFileAuth implements Authenticator {
  readonly #cache = new Map<string, { token: string; readAt: number }>();

  isAuthProvider(user: User): boolean {
    return (user.authProvider as { name?: string } | undefined)?.name === TOKEN_FILE_PROVIDER;
  }

  token(file: string): string {
    const hit = this.#cache.get(file);
    if (hit && Date.now() - hit.readAt <= 60_000) return hit.token;
    const token = readFile(file, 'token file').toString('utf8').trim();
    this.#cache.set(file, { token, readAt: Date.now() });
    return token;
  }

  async applyAuthentication(user: User, opts: { headers?: Record<string, unknown> }): Promise<void> {
    const file = (user.authProvider as { config: { path: string } }).config.path;
    opts.headers ??= {};
    opts.headers.Authorization = `Bearer ${this.token(file)}`;
  }
}

const RawUsersSchema = z.looseObject({
  users: z.array(z.looseObject({ name: z.string(), user: z.looseObject({ tokenFile: z.string().optional() }).nullish() })).nullish(),
});

/** Loads a kubeconfig file; `context` defaults to its current-context. */
export function loadKubeconfig(file: string, context?: string): KubeConfig {
  const text = readFile(file, 'kubeconfig').toString('utf8');
  const kc = new KubeConfig();
  let doc: unknown;
  try {
    doc = parseYaml(text);
    kc.loadFromString(text);
  } catch (e) {
    throw new KubeconfigError(`${file} is not a kubeconfig: ${(e as Error).message}`, { cause: e });
  }
  const dir = path.dirname(path.resolve(file));
  kc.makePathsAbsolute(dir);
  const ctxName = context ?? kc.getCurrentContext();
  if (!ctxName) throw new KubeconfigError(`${file} has no current-context; name one`);
  const ctx = kc.getContextObject(ctxName);
  if (!ctx) throw new KubeconfigError(`${file} has no context named ${ctxName}`);
  kc.setCurrentContext(ctxName);
  const cluster = kc.getCluster(ctx.cluster);
  if (!cluster) throw new KubeconfigError(`${file}: context ${ctxName} names cluster ${ctx.cluster}, which is not defined`);
  try {
    new URL(cluster.server);
  } catch (e) {
    throw new KubeconfigError(`${file}: cluster ${ctx.cluster} has no usable server URL (${cluster.server})`, { cause: e });
  }
  const user = kc.getUser(ctx.user);
  if (!user) throw new KubeconfigError(`${file}: context ${ctxName} names user ${ctx.user}, which is not defined`);

  const tokenFile = RawUsersSchema.safeParse(doc).data?.users?.find((u) => u.name === ctx.user)?.user?.tokenFile;
  if (tokenFile && !user.token && !user.authProvider && !user.exec) {
    const auth = new TokenFileAuth();
    const abs = path.resolve(dir, tokenFile);
    auth.token(abs); // fail now when it cannot be read
    kc.users = kc.users.map((u) => (u.name === ctx.user ? { ...u, authProvider: { name: TOKEN_FILE_PROVIDER, config: { path: abs } } } : u));
    kc.addAuthenticator(auth);
  }
  if (cluster.caFile) readFile(cluster.caFile, 'certificate authority');
  if (user.certFile) readFile(user.certFile, 'client certificate');
  if (user.keyFile) readFile(user.keyFile, 'client key');
  return kc;
}

export const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

const InClusterEnvSchema = z.object({
  KUBERNETES_SERVICE_HOST: z.string().min(1),
  KUBERNETES_SERVICE_PORT: z.string().regex(/^[0-9]+$/),
});

/** The in-cluster config from the pod's ServiceAccount, as client-go's rest.InClusterConfig. */
export function loadInCluster(env: NodeJS.ProcessEnv = process.env, dir = SERVICE_ACCOUNT_DIR): KubeConfig {
  const r = InClusterEnvSchema.safeParse(env);
  if (!r.success) {
    throw new KubeconfigError('not running in a cluster (KUBERNETES_SERVICE_HOST/PORT unset) and no --kubeconfig given', {
      cause: r.error,
    });
  }
  const host = r.data.KUBERNETES_SERVICE_HOST.includes(':') ? `[${r.data.KUBERNETES_SERVICE_HOST}]` : r.data.KUBERNETES_SERVICE_HOST;
  const auth = new TokenFileAuth();
  const tokenFile = path.join(dir, 'token');
  auth.token(tokenFile); // fail now, not on the first request, when there is no token
  const caFile = path.join(dir, 'ca.crt');
  readFile(caFile, 'ServiceAccount CA');
  let namespace: string | undefined;
  try {
    namespace = readFileSync(path.join(dir, 'namespace'), 'utf8').trim() || undefined;
  } catch {
    namespace = undefined; // optional: only a default for --lease-namespace
  }
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'inCluster', server: `https://${host}:${r.data.KUBERNETES_SERVICE_PORT}`, caFile, skipTLSVerify: false }],
    users: [{ name: 'inClusterUser', authProvider: { name: TOKEN_FILE_PROVIDER, config: { path: tokenFile } } }],
    contexts: [{ name: 'inClusterContext', cluster: 'inCluster', user: 'inClusterUser', ...(namespace ? { namespace } : {}) }],
    currentContext: 'inClusterContext',
  });
  kc.addAuthenticator(auth);
  return kc;
}

/** The API server of the current context. */
export function serverOf(kc: KubeConfig): URL {
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new KubeconfigError(`the kubeconfig has no current context (${kc.getCurrentContext() ?? 'none'})`);
  return new URL(cluster.server);
}

/** The namespace of the current context (in a cluster: the ServiceAccount's). */
export function contextNamespace(kc: KubeConfig): string | undefined {
  return kc.getContextObject(kc.getCurrentContext())?.namespace || undefined;
}
