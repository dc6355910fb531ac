// Rendered objects on a real API server: the API server accepts them as they are (strict field
// validation), the DaemonSet controller runs the AF_PACKET agent on exactly the selected nodes,
// and deleting the policy garbage-collects everything through the owner references.
//
// Needs a cluster (see support/cluster.ts); skipped otherwise. The harness's kwok nodes carry
// tapline.dev/capture=true on all but one and have hugepages capacity.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_VERSION, KIND, parsePolicy, PLURAL } from '../../operator/api/policy.js';
import { objectsInApplyOrder, renderPolicy } from '../../operator/render/index.js';
import { clusterKubeconfig, SKIP_REASON, until } from './support/cluster.js';
import { installCrd } from './support/crd-install.js';
import { kubeApiFromKubeconfig, type KubeApi } from './support/kube-api.js';
import { AFPACKET_SPEC, DPDK_SPEC, settings } from './support/render-fixtures.js';

const kubeconfig = clusterKubeconfig();
// A fresh namespace per run: the previous run's may still be terminating.
const NS = `tapline-render-test-${Date.now().toString(36)}`;
const FIELD_MANAGER = 'tapline-render-test';

function path(obj: { apiVersion: string; kind: string; metadata: { name: string; namespace?: string } }): string {
  const base = obj.apiVersion.includes('/') ? `/apis/${obj.apiVersion}` : `/api/${obj.apiVersion}`;
  const plural = `${obj.kind.toLowerCase()}s`;
  return `${base}/namespaces/${obj.metadata.namespace ?? NS}/${plural}/${obj.metadata.name}`;
}

describe.skipIf(!kubeconfig)(`rendered objects on a real API server${kubeconfig ? '' : ` (${SKIP_REASON})`}`, () => {
  let api: KubeApi;

  async function createPolicy(name: string, spec: unknown) {
    const r = await api.request('POST', `/apis/${API_VERSION}/namespaces/${NS}/${PLURAL}`, {
      apiVersion: API_VERSION,
      kind: KIND,
      metadata: { name },
      spec,
    });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    return parsePolicy(r.body);
  }

  async function apply(obj: { apiVersion: string; kind: string; metadata: { name: string } }, dryRun = false) {
    const q = `fieldManager=${FIELD_MANAGER}&force=true&fieldValidation=Strict${dryRun ? '&dryRun=All' : ''}`;
    return api.request('PATCH', `${path(obj)}?${q}`, obj, { contentType: 'application/apply-patch+yaml' });
  }

  beforeAll(async () => {
    api = kubeApiFromKubeconfig(kubeconfig!);
    await installCrd(api);
    const ns = await api.request('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } });
    expect(ns.status, JSON.stringify(ns.body)).toBe(201);
  }, 60_000);

  afterAll(async () => {
    await api?.request('DELETE', `/api/v1/namespaces/${NS}`);
  });

  it('accepts the DPDK objects as rendered (hugepages, SR-IOV resource, volumes, security context)', async () => {
    const p = await createPolicy('core-dpdk', DPDK_SPEC);
    for (const obj of objectsInApplyOrder(renderPolicy(p, settings()))) {
      const r = await apply(obj, true);
      expect([200, 201], `${obj.kind}: ${JSON.stringify(r.body)}`).toContain(r.status);
    }
    await api.request('DELETE', `/apis/${API_VERSION}/namespaces/${NS}/${PLURAL}/core-dpdk`);
  });

  it('accepts the DPDK objects for virtual devices (net_af_packet: NET_RAW and NET_ADMIN, no VF)', async () => {
    const spec = {
      capture: { backend: 'dpdk', vdevs: ['net_af_packet0,iface=eth0'], hugepages: { pageSize: '2Mi', amount: '256Mi' } },
      export: { natsUrl: 'nats://nats.nats.svc:4222' },
    };
    const p = await createPolicy('lab-dpdk', spec);
    for (const obj of objectsInApplyOrder(renderPolicy(p, settings()))) {
      const r = await apply(obj, true);
      expect([200, 201], `${obj.kind}: ${JSON.stringify(r.body)}`).toContain(r.status);
      if (obj.kind === 'DaemonSet') {
        expect(r.body.spec.template.spec.containers[0].securityContext.capabilities.add).toEqual(['IPC_LOCK', 'SYS_NICE', 'NET_RAW', 'NET_ADMIN']);
      }
    }
    await api.request('DELETE', `/apis/${API_VERSION}/namespaces/${NS}/${PLURAL}/lab-dpdk`);
  });

  it('runs the AF_PACKET agent on exactly the selected nodes and garbage-collects with the policy', async () => {
    const p = await createPolicy('edge-taps', { ...AFPACKET_SPEC, nodeSelector: { matchLabels: { 'tapline.dev/capture': 'true' } } });
    const d = renderPolicy(p, settings());
    for (const obj of objectsInApplyOrder(d)) {
      const r = await apply(obj);
      expect([200, 201], `${obj.kind}: ${JSON.stringify(r.body)}`).toContain(r.status);
    }
    const nodes = (await api.request('GET', '/api/v1/nodes?labelSelector=tapline.dev%2Fcapture%3Dtrue')).body.items as unknown[];
    expect(nodes.length).toBeGreaterThan(0);
    const status = await until(
      'the agent DaemonSet to be scheduled',
      async () => {
        const ds = (await api.request('GET', path(d.daemonSet))).body;
        return ds?.status?.desiredNumberScheduled > 0 ? ds.status : undefined;
      },
      60_000,
    );
    expect(status.desiredNumberScheduled).toBe(nodes.length);

    // Same input, same objects: re-applying changes nothing (no rollout).
    const before = (await api.request('GET', path(d.daemonSet))).body.metadata.generation;
    await apply(renderPolicy(p, settings()).daemonSet);
    expect((await api.request('GET', path(d.daemonSet))).body.metadata.generation).toBe(before);

    await api.request('DELETE', `/apis/${API_VERSION}/namespaces/${NS}/${PLURAL}/edge-taps`);
    for (const obj of objectsInApplyOrder(d)) {
      await until(`${obj.kind} to be garbage-collected`, async () => ((await api.request('GET', path(obj))).status === 404 ? true : undefined), 60_000);
    }
  }, 180_000);
});
