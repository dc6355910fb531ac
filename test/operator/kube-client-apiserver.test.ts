// The operator's API client and informer against a real API server: status codes map to their
// error classes (404, 410 for a watch from a resourceVersion etcd has compacted, 422), every request is
// counted by verb and resource, and an informer's cache follows creates, updates and deletes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { z } from 'zod';
import { isInvalidObjectError, isNotFoundError, isResourceExpiredError } from '../../operator/controller/errors.js';
import { Informer } from '../../operator/controller/informer.js';
import { KubeClient, type RequestRecord } from '../../operator/controller/kube-client.js';
import { loadKubeconfig } from '../../operator/controller/kubeconfig.js';
import { ObjectMetaSchema } from '../../operator/reconcile/observed.js';
import { clusterEtcdUrl, clusterKubeconfig, SKIP_REASON, until } from './support/cluster.js';

const kubeconfig = clusterKubeconfig();
const etcdUrl = clusterEtcdUrl();

/** Compacts etcd up to `revision` through its HTTP gateway (no-op without the etcd address). */
async function compactEtcd(revision: number): Promise<void> {
  if (!etcdUrl) return;
  const res = await fetch(`${etcdUrl}/v3/kv/compaction`, { method: 'POST', body: JSON.stringify({ revision: String(revision), physical: true }) });
  const body = await res.text();
  // Already compacted further by the API server: fine.
  if (!res.ok && !/compacted/.test(body)) throw new Error(`etcd compaction failed (${res.status}): ${body}`);
}
const NS = `op-client-${Date.now().toString(36)}`;
const ConfigMapSchema = z.looseObject({ metadata: ObjectMetaSchema, data: z.record(z.string(), z.string()).optional() });
type ConfigMap = z.output<typeof ConfigMapSchema>;

describe.skipIf(!kubeconfig)(`operator API client on a real API server${kubeconfig ? '' : ` (${SKIP_REASON})`}`, () => {
  let client: KubeClient;
  const seen: RequestRecord[] = [];
  const cmPath = (name = '') => `/api/v1/namespaces/${NS}/configmaps${name ? `/${name}` : ''}`;

  beforeAll(async () => {
    client = new KubeClient(loadKubeconfig(kubeconfig!), { observer: (r) => seen.push(r) });
    await client.create('/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } }, z.unknown());
  });

  afterAll(async () => {
    await client?.delete(`/api/v1/namespaces/${NS}`, z.unknown());
  });

  it('maps statuses to error classes and counts every request by verb, resource and code', async () => {
    const missing = await client.get(cmPath('nope'), ConfigMapSchema).catch((e: unknown) => e);
    expect(isNotFoundError(missing)).toBe(true);
    const invalid = await client.apply(cmPath('Bad_Name'), { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'Bad_Name', namespace: NS } }, ConfigMapSchema, { fieldManager: 't', force: true }).catch((e: unknown) => e);
    expect(isInvalidObjectError(invalid)).toBe(true);
    await client.apply(cmPath('ok'), { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'ok', namespace: NS }, data: { a: '1' } }, ConfigMapSchema, { fieldManager: 't', force: true });
    expect(seen.filter((r) => r.resource === 'configmaps').map((r) => `${r.verb} ${r.code}`)).toEqual(['get 404', 'apply 422', 'apply 201']);
  });

  it('throws ResourceExpiredError for a watch from a resourceVersion the server no longer has', async () => {
    // PodTemplates are not in the API server's watch cache (the harness sets that), so the watch
    // goes to etcd, which has compacted everything before the current revision once we ask it to.
    const ptPath = `/api/v1/namespaces/${NS}/podtemplates`;
    const template = { metadata: { labels: { a: 'b' } }, spec: { containers: [{ name: 'c', image: 'x' }] } };
    await client.create(ptPath, { apiVersion: 'v1', kind: 'PodTemplate', metadata: { name: 'pt' }, template }, z.unknown());
    const list = await client.list(ptPath, {}, z.unknown());
    const rv = Number(list.metadata.resourceVersion);
    expect(rv).toBeGreaterThan(1);
    await compactEtcd(rv);
    const ac = new AbortController();
    let err: unknown;
    // Without the etcd address (an external cluster), wait for the API server's own compaction.
    const deadline = Date.now() + (etcdUrl ? 10_000 : 75_000);
    while (!isResourceExpiredError(err) && Date.now() < deadline) {
      err = await client.watch(ptPath, { resourceVersion: '1', timeoutSeconds: 1 }, () => {}, ac.signal).catch((e: unknown) => e);
      if (!isResourceExpiredError(err)) await new Promise((r) => setTimeout(r, 1000));
    }
    expect(isResourceExpiredError(err), String(err)).toBe(true);
  });

  it('keeps an informer cache in step with creates, updates and deletes', async () => {
    const events: string[] = [];
    const inf = new Informer<ConfigMap>({
      client,
      resource: 'configmaps',
      path: cmPath(),
      labelSelector: 'test=informer',
      schema: ConfigMapSchema,
      log: pino({ level: 'silent' }),
      handlers: {
        onAdd: (o) => events.push(`add ${o.metadata.name}`),
        onUpdate: (_a, b) => events.push(`update ${b.metadata.name} ${b.data?.v}`),
        onDelete: (o) => events.push(`delete ${o.metadata.name}`),
      },
    });
    const apply = (name: string, v: string) =>
      client.apply(cmPath(name), { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: NS, labels: { test: 'informer' } }, data: { v } }, ConfigMapSchema, { fieldManager: 't', force: true });
    await apply('before', '1');
    inf.start();
    try {
      await until('the informer to sync', async () => (inf.synced() ? true : undefined));
      expect(inf.keys()).toEqual([`${NS}/before`]);
      await apply('after', '1');
      await apply('after', '2');
      await client.delete(cmPath('before'), z.unknown());
      await until('the events', async () => (events.length >= 4 ? true : undefined));
      expect(events).toEqual(['add before', 'add after', 'update after 2', 'delete before']);
      expect(inf.get(`${NS}/after`)?.data).toEqual({ v: '2' });
      expect(inf.get(`${NS}/before`)).toBeUndefined();
      expect(inf.lists).toBe(1);
    } finally {
      await inf.stop();
    }
    expect(seen.some((r) => r.verb === 'watch' && r.resource === 'configmaps')).toBe(true);
  });
});
