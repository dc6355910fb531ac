// The generated CRD on a real API server: it is accepted (structural schema, CEL cost budget),
// valid policies are stored with the same defaults zod applies, invalid ones are refused with the
// expected messages (types, enums, ranges, patterns, required fields, CEL rules, unknown fields),
// and the status subresource and printer columns work.
//
// Needs a cluster: the kubeconfig comes from TAPLINE_CLUSTER_KUBECONFIG, or from the cluster the
// vitest global setup test/cluster/global-setup.ts provides (inject('cluster')). Skipped otherwise.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { customResourceDefinition } from '../../operator/api/crd.js';
import { API_VERSION, CRD_NAME, KIND, parseSpec, PLURAL } from '../../operator/api/policy.js';
import { INVALID_SPECS, VALID_SPECS } from './support/policy-examples.js';
import { kubeApiFromKubeconfig, type KubeApi } from './support/kube-api.js';
import { clusterKubeconfig, SKIP_REASON } from './support/cluster.js';
import { installCrd } from './support/crd-install.js';

const kubeconfig = clusterKubeconfig();
const NS = 'default';
const BASE = `/apis/${API_VERSION}/namespaces/${NS}/${PLURAL}`;
const TEST_POLICY = 'crd-apiserver-test';

function policy(name: string, spec: unknown) {
  return { apiVersion: API_VERSION, kind: KIND, metadata: { name }, spec };
}

describe.skipIf(!kubeconfig)(
  `SnifferPolicy CRD on a real API server${kubeconfig ? '' : ` (${SKIP_REASON})`}`,
  () => {
    let api: KubeApi;

    beforeAll(async () => {
      api = kubeApiFromKubeconfig(kubeconfig!);
      await installCrd(api);
      await api.request('DELETE', `${BASE}/${TEST_POLICY}`);
    });

    afterAll(async () => {
      await api?.request('DELETE', `${BASE}/${TEST_POLICY}`);
    });

    it('stores the same schema the generator builds', async () => {
      const r = await api.request('GET', `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${CRD_NAME}`);
      const want = customResourceDefinition().spec.versions[0]!;
      expect(r.body.spec.versions[0].schema).toEqual(want.schema);
      expect(r.body.spec.names).toEqual(customResourceDefinition().spec.names);
    });

    it.each(Object.entries(VALID_SPECS))('accepts %s, defaulted as zod defaults it', async (name, spec) => {
      const r = await api.request('POST', `${BASE}?dryRun=All&fieldValidation=Strict`, policy(`valid-${name.replace(/[^a-z0-9]+/g, '-')}`.replace(/-+$/, ''), spec));
      expect(r.status, JSON.stringify(r.body)).toBe(201);
      expect(r.body.spec).toEqual(JSON.parse(JSON.stringify(parseSpec(spec))));
    });

    it.each(Object.entries(INVALID_SPECS))('refuses: %s', async (_name, ex) => {
      const r = await api.request('POST', `${BASE}?dryRun=All&fieldValidation=Strict`, policy('invalid', ex.spec));
      expect([400, 422], JSON.stringify(r.body)).toContain(r.status);
      expect(String(r.body?.message)).toContain(ex.api);
    });

    it('has a status subresource whose schema is enforced, and the printer columns', async () => {
      const created = await api.request('POST', BASE, policy(TEST_POLICY, VALID_SPECS['afpacket, minimal']));
      expect(created.status, JSON.stringify(created.body)).toBe(201);
      const status = {
        observedGeneration: 1,
        desiredNodes: 3,
        readyNodes: 2,
        updatedNodes: 3,
        daemonSetName: `tapline-${TEST_POLICY}`,
        conditions: [
          {
            type: 'Ready',
            status: 'False',
            reason: 'AgentsNotReady',
            message: '2 of 3 agents ready',
            observedGeneration: 1,
            lastTransitionTime: '2025-01-01T00:00:00Z',
          },
        ],
      };
      const put = await api.request('PUT', `${BASE}/${TEST_POLICY}/status`, { ...created.body, status });
      expect(put.status, JSON.stringify(put.body)).toBe(200);
      // Status written through the main resource is ignored (status subresource).
      const viaMain = await api.request('PUT', `${BASE}/${TEST_POLICY}`, { ...put.body, status: { ...status, readyNodes: 0 } });
      expect(viaMain.status).toBe(200);
      expect(viaMain.body.status.readyNodes).toBe(2);

      const bad = await api.request('PUT', `${BASE}/${TEST_POLICY}/status`, {
        ...viaMain.body,
        status: { ...status, conditions: [{ ...status.conditions[0], status: 'Maybe' }] },
      });
      expect(bad.status).toBe(422);
      expect(String(bad.body.message)).toContain('status.conditions[0].status: Unsupported value: "Maybe"');

      const table = await api.request('GET', `${BASE}/${TEST_POLICY}`, undefined, {
        accept: 'application/json;as=Table;v=v1;g=meta.k8s.io',
      });
      expect(table.status).toBe(200);
      const columns = (table.body.columnDefinitions as { name: string }[]).map((c) => c.name);
      expect(columns).toEqual(['Name', 'Backend', 'Desired', 'Nodes Ready', 'Up-To-Date', 'Ready', 'Reason', 'Paused', 'Age']);
      const cells = table.body.rows[0].cells as unknown[];
      expect(cells.slice(0, 8)).toEqual([TEST_POLICY, 'afpacket', 3, 2, 3, 'False', 'AgentsNotReady', false]);
    });
  },
);
