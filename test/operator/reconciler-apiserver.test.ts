// The reconciler in-process against a real API server, for what a real cluster cannot produce on
// demand: a stored policy whose spec the operator's schema refuses although the API server took it
// (a CRD older than the operator). The cache view is built by hand; the writes are real.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { z } from 'zod';
import { PLURAL } from '../../operator/api/policy.js';
import { ApiWriter } from '../../operator/controller/api-writer.js';
import { KubeClient, WRITE_VERBS, type RequestRecord } from '../../operator/controller/kube-client.js';
import { loadKubeconfig } from '../../operator/controller/kubeconfig.js';
import { OperatorMetrics } from '../../operator/controller/metrics.js';
import { ObservedPolicySchema, type ObservedPolicy } from '../../operator/reconcile/observed.js';
import { Reconciler } from '../../operator/reconcile/reconciler.js';
import type { World } from '../../operator/reconcile/world.js';
import { OperatorSettingsSchema } from '../../operator/render/settings.js';
import { clusterKubeconfig, SKIP_REASON } from './support/cluster.js';
import { installCrd } from './support/crd-install.js';
import { kubeApiFromKubeconfig } from './support/kube-api.js';
import { afpacketSpec, applyPolicy, condition, getPolicy } from './support/policies.js';

const kubeconfig = clusterKubeconfig();
const NS = `op-reconciler-${Date.now().toString(36)}`;

describe.skipIf(!kubeconfig)(`reconciler on a real API server${kubeconfig ? '' : ` (${SKIP_REASON})`}`, () => {
  let client: KubeClient;
  const requests: RequestRecord[] = [];

  beforeAll(async () => {
    const api = kubeApiFromKubeconfig(kubeconfig!);
    await installCrd(api);
    client = new KubeClient(loadKubeconfig(kubeconfig!), { observer: (r) => requests.push(r) });
    await client.create('/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } }, z.unknown());
  });

  afterAll(async () => {
    await client?.delete(`/api/v1/namespaces/${NS}`, z.unknown());
  });

  it('reports a spec its schema refuses as InvalidSpec, creates nothing, and does not write again for the same generation', async () => {
    const api = kubeApiFromKubeconfig(kubeconfig!);
    const stored = ObservedPolicySchema.parse(await applyPolicy(api, NS, 'skewed', afpacketSpec()));
    // What an operator newer than the CRD might find: a field value the schema no longer accepts.
    const cached: ObservedPolicy = { ...stored, spec: { ...(stored.spec as object), capture: { backend: 'afpacket', interfaces: ['eth0'], snaplen: 10 } } };
    const world: World = {
      policy: (k) => (k === `${NS}/skewed` ? cached : undefined),
      policies: () => [cached],
      daemonSet: () => undefined,
      configMap: () => undefined,
      serviceAccount: () => undefined,
      nodes: () => [],
      agentPods: () => [],
    };
    const reconciler = new Reconciler({
      writer: new ApiWriter(client),
      world,
      settings: OperatorSettingsSchema.parse({ agentImage: 'img:1' }),
      log: pino({ level: 'silent' }),
      metrics: new OperatorMetrics(),
    });
    const mark = requests.length;
    const writesSince = () => requests.slice(mark).filter((r) => WRITE_VERBS.has(r.verb)).map((r) => `${r.verb} ${r.resource}`);
    expect(await reconciler.reconcile(`${NS}/skewed`)).toBe('terminal');
    const p = await getPolicy(api, NS, 'skewed');
    expect(condition(p, 'Degraded')).toMatchObject({ status: 'True', reason: 'InvalidSpec', observedGeneration: 1 });
    expect(condition(p, 'Degraded').message).toContain('spec.capture.snaplen');
    expect(condition(p, 'Ready')).toMatchObject({ status: 'False', reason: 'InvalidSpec' });
    expect(writesSince()).toEqual([`apply ${PLURAL}/status`]);
    expect((await api.request('GET', `/apis/apps/v1/namespaces/${NS}/daemonsets/tapline-skewed`)).status).toBe(404);

    // Terminal: with the status now showing it, the same generation needs no write.
    const withStatus: ObservedPolicy = { ...cached, status: p.status, metadata: { ...cached.metadata, resourceVersion: p.metadata.resourceVersion } };
    const again = new Reconciler({
      writer: new ApiWriter(client),
      world: { ...world, policy: () => withStatus, policies: () => [withStatus] },
      settings: OperatorSettingsSchema.parse({ agentImage: 'img:1' }),
      log: pino({ level: 'silent' }),
      metrics: new OperatorMetrics(),
    });
    expect(await again.reconcile(`${NS}/skewed`)).toBe('terminal');
    expect(writesSince()).toEqual([`apply ${PLURAL}/status`]);
  });
});
