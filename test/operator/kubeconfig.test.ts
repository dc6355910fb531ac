// Loading the operator's connection: kubeconfig files (token, tokenFile, client certificates,
// relative paths, contexts) and the in-cluster ServiceAccount; unusable ones fail with KubeconfigError.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { isKubeconfigError } from '../../operator/controller/errors.js';
import { loadInCluster, loadKubeconfig } from '../../operator/controller/kubeconfig.js';

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
  it('reads client certificates by relative path and the context namespace', () => {
    const d = dir({ 'ca.crt': 'CA', 'u.crt': 'CERT', 'kubeconfig': KC('    client-certificate: u.crt\n    client-key-data: S0VZ') });
    const c = loadKubeconfig(path.join(d, 'kubeconfig'));
    expect(c.server.href).toBe('https://10.0.0.1:6443/');
    expect(c.ca?.toString()).toBe('CA');
    expect(c.cert?.toString()).toBe('CERT');
    expect(c.key?.toString()).toBe('KEY');
    expect(c.namespace).toBe('netops');
    expect(c.token).toBeUndefined();
  });

  it('reads a token, a token file, and another context by name', () => {
    const d = dir({ 'ca.crt': 'CA', tok: 'file-token\n', kubeconfig: KC('    tokenFile: tok') });
    expect(loadKubeconfig(path.join(d, 'kubeconfig')).token?.()).toBe('file-token');
    expect(loadKubeconfig(path.join(d, 'kubeconfig'), 'other').token?.()).toBe('other-token');
  });

  it('refuses exec plugins, unknown contexts, missing files and non-kubeconfigs with KubeconfigError', () => {
    const d = dir({ 'ca.crt': 'CA', kubeconfig: KC('    exec: {command: aws}'), bad: 'clusters: 3\n' });
    const errs = [
      () => loadKubeconfig(path.join(d, 'kubeconfig')),
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
    expect(String(errs[0])).toContain('exec');
    expect(String(errs[1])).toContain('nope');
  });
});

describe('loadInCluster', () => {
  it('uses the ServiceAccount token, CA and namespace and the service env', () => {
    const d = dir({ token: 'sa-token', 'ca.crt': 'CA', namespace: 'tapline-system' });
    const c = loadInCluster({ KUBERNETES_SERVICE_HOST: '10.96.0.1', KUBERNETES_SERVICE_PORT: '443' }, d);
    expect(c.server.href).toBe('https://10.96.0.1/');
    expect(c.token?.()).toBe('sa-token');
    expect(c.namespace).toBe('tapline-system');
    const v6 = loadInCluster({ KUBERNETES_SERVICE_HOST: 'fd00::1', KUBERNETES_SERVICE_PORT: '6443' }, d);
    expect(v6.server.host).toBe('[fd00::1]:6443');
  });

  it('says it is not in a cluster when the service env or the token is missing', () => {
    expect(() => loadInCluster({}, dir({}))).toThrow(/not running in a cluster/);
    expect(() => loadInCluster({ KUBERNETES_SERVICE_HOST: 'h', KUBERNETES_SERVICE_PORT: '443' }, dir({}))).toThrow(/token/);
  });
});
