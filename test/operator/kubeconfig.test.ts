// Loading the operator's connection: kubeconfig files (token, tokenFile, client certificates,
// relative paths, contexts, exec plugins) and the in-cluster ServiceAccount; unusable ones fail with
// KubeconfigError. What a request would carry is read with client-node's applyToHTTPSOptions.
import { mkdtempSync, writeFileSync } from 'node:fs';
import type { RequestOptions } from 'node:https';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { KubeConfig } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { isKubeconfigError } from '../../operator/controller/errors.js';
import { contextNamespace, loadInCluster, loadKubeconfig, serverOf } from '../../operator/controller/kubeconfig.js';

/** The server, TLS material, bearer token and namespace a request with this config carries. */
async function connection(kc: KubeConfig) {
  const opts: RequestOptions = {};
  await kc.applyToHTTPSOptions(opts);
  const auth = (opts.headers as Record<string, string> | undefined)?.Authorization;
  return {
    server: serverOf(kc),
    ca: opts.ca as Buffer | undefined,
    cert: opts.cert as Buffer | undefined,
    key: opts.key as Buffer | undefined,
    token: auth?.startsWith('Bearer ') ? auth.slice('Bearer '.length) : undefined,
    namespace: contextNamespace(kc),
  };
}

function dir(files: Record<string, string>): string {
  const d = mkdtempSync(path.join(tmpdir(), 'tapline-kc-'));
  for (const [f, content] of Object.entries(files)) writeFileSync(path.join(d, f), content);
  return d;
}

const KC = (user: string, extra = '') => `apiVersion: v1
kind: Config
current-context: main
clusters:
- name: c
  cluster:
    server: https://10.0.0.1:6443
    certificate-authority: ca.crt
contexts:
- name: main
  context: {cluster: c, user: u, namespace: netops}
- name: other
  context: {cluster: c, user: t}
users:
- name: u
  user:
${user}
- name: t
  user:
    token: other-token
${extra}`;

describe('loadKubeconfig', () => {
  it('reads client certificates by relative path and the context namespace', async () => {
    const d = dir({ 'ca.crt': 'CA', 'u.crt': 'CERT', 'kubeconfig': KC('    client-certificate: u.crt\n    client-key-data: S0VZ') });
    const c = await connection(loadKubeconfig(path.join(d, 'kubeconfig')));
    expect(c.server.href).toBe('https://10.0.0.1:6443/');
    expect(c.ca?.toString()).toBe('CA');
    expect(c.cert?.toString()).toBe('CERT');
    expect(c.key?.toString()).toBe('KEY');
    expect(c.namespace).toBe('netops');
    expect(c.token).toBeUndefined();
  });

  it('reads a token, a token file, and another context by name', async () => {
    const d = dir({ 'ca.crt': 'CA', tok: 'file-token\n', kubeconfig: KC('    tokenFile: tok') });
    expect((await connection(loadKubeconfig(path.join(d, 'kubeconfig')))).token).toBe('file-token');
    expect((await connection(loadKubeconfig(path.join(d, 'kubeconfig'), 'other'))).token).toBe('other-token');
  });

  it('runs exec plugins (as EKS, GKE and AKS users do) for the token', async () => {
    const plugin = dir({
      'plugin.mjs': `process.stdout.write(JSON.stringify({ apiVersion: 'client.authentication.k8s.io/v1', kind: 'ExecCredential', status: { token: 'exec-token-' + process.argv[2] } }));`,
    });
    const exec = `    exec: {apiVersion: client.authentication.k8s.io/v1, command: ${JSON.stringify(process.execPath)}, args: [${JSON.stringify(path.join(plugin, 'plugin.mjs'))}, eks], interactiveMode: Never}`;
    const d = dir({ 'ca.crt': 'CA', kubeconfig: KC(exec) });
    expect((await connection(loadKubeconfig(path.join(d, 'kubeconfig')))).token).toBe('exec-token-eks');
  });

  it('refuses unknown contexts, missing files and non-kubeconfigs with KubeconfigError', () => {
    const d = dir({ 'ca.crt': 'CA', kubeconfig: KC('    token: t'), bad: 'clusters: 3\n' });
    const errs = [
      () => loadKubeconfig(path.join(d, 'kubeconfig'), 'nope'),
      () => loadKubeconfig(path.join(d, 'missing')),
      () => loadKubeconfig(path.join(d, 'bad')),
    ].map((f) => {
      try {
        f();
        return undefined;
      } catch (e) {
        return e;
      }
    });
    for (const e of errs) expect(isKubeconfigError(e), String(e)).toBe(true);
    expect(String(errs[0])).toContain('nope');
  });
});

describe('loadInCluster', () => {
  it('uses the ServiceAccount token, CA and namespace and the service env', async () => {
    const d = dir({ token: 'sa-token', 'ca.crt': 'CA', namespace: 'tapline-system' });
    const c = await connection(loadInCluster({ KUBERNETES_SERVICE_HOST: '10.96.0.1', KUBERNETES_SERVICE_PORT: '443' }, d));
    expect(c.server.href).toBe('https://10.96.0.1/');
    expect(c.token).toBe('sa-token');
    expect(c.ca?.toString()).toBe('CA');
    expect(c.namespace).toBe('tapline-system');
    const v6 = await connection(loadInCluster({ KUBERNETES_SERVICE_HOST: 'fd00::1', KUBERNETES_SERVICE_PORT: '6443' }, d));
    expect(v6.server.host).toBe('[fd00::1]:6443');
  });

  it('says it is not in a cluster when the service env or the token is missing', () => {
    expect(() => loadInCluster({}, dir({}))).toThrow(/not running in a cluster/);
    expect(() => loadInCluster({ KUBERNETES_SERVICE_HOST: 'h', KUBERNETES_SERVICE_PORT: '443' }, dir({}))).toThrow(/token/);
  });
});
