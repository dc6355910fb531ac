// Every manifest the chart renders (and every example policy) is valid per kubeconform with JSON
// Schemas generated from the real test API server's OpenAPI (built-in kinds and our CRD), and is
// accepted by the API server itself (server-side apply, dry run, strict field validation).
//
// Needs a cluster: TAPLINE_CLUSTER_KUBECONFIG, or the 'cluster' vitest project's global setup.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { writeKubeSchemas } from '../../scripts/helm/kube-schemas.mjs';
import { clusterKubeconfig, SKIP_REASON } from '../operator/support/cluster.js';
import { installCrd } from '../operator/support/crd-install.js';
import { kubeApiFromKubeconfig, type KubeApi } from '../operator/support/kube-api.js';
import { DPDK_VALUES, NAMESPACE, REPO, helmTools, parseManifests, renderChart, run } from './support/helm.js';
import { ensureNamespace, serverSideApply } from './support/kube.js';

const kubeconfig = clusterKubeconfig();

const RENDERS: [string, string[]][] = [
  ['default values', []],
  ['DPDK/SR-IOV values', ['-f', DPDK_VALUES]],
  ['every optional object', ['--set', 'replicaCount=2', '--set', 'podDisruptionBudget.enabled=true', '--set', 'serviceMonitor.enabled=true',
    '--set', 'watchNamespaces={tapline-a,tapline-b}', '--set', 'namespaces.create=true', '--set', 'crds.keep=false']],
];
const EXAMPLE_POLICIES = ['afpacket.yaml', 'dpdk-sriov.yaml', 'ddos-watch.yaml', 'dpdk-vdev.yaml'].map((f) => path.join(REPO, 'examples', f));

interface Summary { valid: number; invalid: number; errors: number; skipped: number }

describe.skipIf(!kubeconfig)(`chart manifests against the API server's schemas${kubeconfig ? '' : ` (${SKIP_REASON})`}`, () => {
  let api: KubeApi;
  let schemas: { dir: string; kubernetesVersion: string };

  async function kubeconform(args: string[], input?: string): Promise<{ status: number | null; summary: Summary; out: string }> {
    const { kubeconform: bin } = await helmTools();
    // ServiceMonitor (monitoring.coreos.com) is not served by the test API server: no schema to check it against.
    const r = run(bin, ['-schema-location', schemas.dir, '-kubernetes-version', schemas.kubernetesVersion, '-strict', '-summary', '-output', 'json', '-skip', 'ServiceMonitor', ...args], { input });
    const parsed = JSON.parse(r.stdout) as { summary: Summary };
    return { status: r.status, summary: parsed.summary, out: r.stdout };
  }

  beforeAll(async () => {
    api = kubeApiFromKubeconfig(kubeconfig!);
    await installCrd(api);
    schemas = await writeKubeSchemas({
      get: async (p) => {
        const r = await api.request('GET', p);
        if (r.status !== 200) throw new Error(`GET ${p}: ${r.status}`);
        return r.body;
      },
    });
  });

  it('generates schemas for built-in kinds and the SnifferPolicy CRD, in kubeconform\'s layout', () => {
    const strict = path.join(schemas.dir, `v${schemas.kubernetesVersion}-standalone-strict`);
    for (const f of ['deployment-apps-v1.json', 'clusterrole-rbac-v1.json', 'customresourcedefinition-apiextensions-v1.json', 'snifferpolicy-tapline-v1alpha1.json']) {
      expect(existsSync(path.join(strict, f)), f).toBe(true);
    }
    const policy = JSON.parse(readFileSync(path.join(strict, 'snifferpolicy-tapline-v1alpha1.json'), 'utf8'));
    expect(policy.properties.spec.properties.capture.properties.backend.enum).toEqual(['afpacket', 'dpdk']);
  });

  it.each(RENDERS)('every object of the %s render is valid', async (_name, args) => {
    const rendered = await renderChart(args);
    const objs = parseManifests(rendered);
    const r = await kubeconform([], rendered);
    const monitors = objs.filter((o) => o.kind === 'ServiceMonitor').length;
    expect(r.summary, r.out).toEqual({ valid: objs.length - monitors, invalid: 0, errors: 0, skipped: monitors });
    expect(r.status).toBe(0);
  });

  it('refuses a manifest with a misspelt field (the schemas are strict and in use)', async () => {
    const rendered = (await renderChart()).replace('readOnlyRootFilesystem: true', 'readOnlyRootFileSystem: true');
    const r = await kubeconform([], rendered);
    expect(r.summary.invalid).toBe(1);
    expect(r.out).toContain("additional properties 'readOnlyRootFileSystem' not allowed");
    expect(r.status).not.toBe(0);
  });

  it('every example policy is valid, and a bad one is refused', async () => {
    const r = await kubeconform(EXAMPLE_POLICIES);
    expect(r.summary, r.out).toEqual({ valid: EXAMPLE_POLICIES.length, invalid: 0, errors: 0, skipped: 0 });
    const bad = readFileSync(EXAMPLE_POLICIES[0]!, 'utf8').replace('backend: afpacket', 'backend: pfring');
    const b = await kubeconform([], bad);
    expect(b.summary.invalid).toBe(1);
    expect(b.out).toContain('/spec/capture/backend');
  });

  it.each(RENDERS)('the API server accepts every object of the %s render (server-side apply, dry run)', async (_name, args) => {
    const objs = parseManifests(await renderChart(args));
    await ensureNamespace(api, NAMESPACE);
    const served = objs.filter((o) => o.kind !== 'ServiceMonitor');
    for (const o of served) await serverSideApply(api, o, { dryRun: true });
    expect(served.length).toBeGreaterThanOrEqual(8);
  });
});
