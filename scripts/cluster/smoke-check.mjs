// The harness's end-to-end check, against a running cluster: a DaemonSet whose nodeSelector
// matches only the kwok nodes labelled tapline.dev/capture=true gets pods on exactly those nodes,
// reaches numberReady == desiredNumberScheduled, and once deleted its pods are garbage-collected.
// Exercises apiserver admission, the DaemonSet controller, the scheduler, kwok's pod stages,
// the garbage collector and the namespace controller.
import { randomBytes } from 'node:crypto';
import { CAPTURE_LABEL, kubeClient } from './cluster.mjs';
import { waitFor } from './kube-client.mjs';

export class SmokeError extends Error {
  constructor(message, options) {
    super(message, options);
    this.name = 'SmokeError';
  }
}
export const isSmokeError = (e) => e instanceof Error && e.name === 'SmokeError';

const sel = (s) => encodeURIComponent(s);

/**
 * @param {import('./cluster.mjs').ClusterHandle} cluster
 * @param {{timeoutMs?: number, log?: (m: string) => void, keepNamespace?: boolean}} [o]
 */
export async function runSmokeCheck(cluster, o = {}) {
  const timeoutMs = o.timeoutMs ?? 90_000;
  const log = o.log ?? (() => {});
  const kube = kubeClient(cluster);
  const ns = `tapline-smoke-${randomBytes(3).toString('hex')}`;
  const name = 'smoke-agent';
  const dsPath = `/apis/apps/v1/namespaces/${ns}/daemonsets/${name}`;
  const podsPath = `/api/v1/namespaces/${ns}/pods?labelSelector=${sel(`app=${name}`)}`;
  const timings = {};
  const t = () => Date.now();

  const all = (await kube.get('/api/v1/nodes')).items.map((n) => n.metadata.name).sort();
  const labelled = (await kube.get(`/api/v1/nodes?labelSelector=${sel(`${CAPTURE_LABEL}=true`)}`)).items.map((n) => n.metadata.name).sort();
  if (labelled.length === 0) throw new SmokeError(`no node is labelled ${CAPTURE_LABEL}=true (nodes: ${all.join(', ') || 'none'})`);
  if (labelled.length === all.length) throw new SmokeError(`every node is labelled ${CAPTURE_LABEL}=true: the check needs at least one unlabelled node`);
  log(`nodes: ${all.join(', ')}; labelled ${CAPTURE_LABEL}=true: ${labelled.join(', ')}`);

  let t0 = t();
  let passed = false;
  await kube.create('/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns, labels: { 'tapline.dev/test': 'harness-smoke' } } });
  try {
    // Pods are refused until the ServiceAccount controller has made the namespace's default SA.
    await waitFor(`ServiceAccount ${ns}/default`, () => kube.getOrUndefined(`/api/v1/namespaces/${ns}/serviceaccounts/default`), { timeoutMs });
    timings.serviceAccountMs = t() - t0;

    t0 = t();
    await kube.create(`/apis/apps/v1/namespaces/${ns}/daemonsets`, {
      apiVersion: 'apps/v1',
      kind: 'DaemonSet',
      metadata: { name, namespace: ns },
      spec: {
        selector: { matchLabels: { app: name } },
        template: {
          metadata: { labels: { app: name } },
          spec: {
            nodeSelector: { [CAPTURE_LABEL]: 'true' },
            containers: [{ name: 'agent', image: 'tapline.invalid/agent:smoke' }], // kwok never pulls
          },
        },
      },
    });
    log(`created DaemonSet ${ns}/${name}`);

    const ds = await waitFor(`DaemonSet ${ns}/${name} numberReady == desiredNumberScheduled == ${labelled.length}`, async () => {
      const d = await kube.get(dsPath);
      const s = d.status ?? {};
      return (s.observedGeneration ?? 0) >= d.metadata.generation && s.desiredNumberScheduled === labelled.length &&
        s.numberReady === s.desiredNumberScheduled && s.currentNumberScheduled === s.desiredNumberScheduled && s.numberMisscheduled === 0 ? d : undefined;
    }, { timeoutMs, describe: async () => `status ${JSON.stringify((await kube.get(dsPath)).status)}` });
    timings.daemonSetReadyMs = t() - t0;
    log(`DaemonSet ready: ${JSON.stringify(ds.status)}`);

    const pods = (await kube.get(podsPath)).items;
    const podNodes = pods.map((p) => p.spec.nodeName).sort();
    if (JSON.stringify(podNodes) !== JSON.stringify(labelled)) {
      throw new SmokeError(`DaemonSet pods run on [${podNodes.join(', ')}], expected exactly the labelled nodes [${labelled.join(', ')}]`);
    }
    for (const p of pods) {
      const ready = p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
      if (p.status?.phase !== 'Running' || !ready) throw new SmokeError(`pod ${p.metadata.name} on ${p.spec.nodeName} is ${p.status?.phase}, Ready=${ready}`);
      if (!p.metadata.ownerReferences?.some((r) => r.kind === 'DaemonSet' && r.name === name && r.controller)) {
        throw new SmokeError(`pod ${p.metadata.name} has no controller owner reference to DaemonSet ${name}`);
      }
    }
    log(`pods Running/Ready on ${podNodes.join(', ')} only`);

    t0 = t();
    await kube.delete(dsPath, { kind: 'DeleteOptions', apiVersion: 'v1', propagationPolicy: 'Background' });
    await waitFor(`DaemonSet ${ns}/${name} gone and its pods garbage-collected`, async () => {
      const d = await kube.getOrUndefined(dsPath);
      const left = (await kube.get(podsPath)).items;
      return !d && left.length === 0;
    }, { timeoutMs, describe: async () => `pods left: ${(await kube.get(podsPath)).items.map((p) => `${p.metadata.name}(${p.metadata.deletionTimestamp ? 'terminating' : p.status?.phase})`).join(', ')}` });
    timings.garbageCollectedMs = t() - t0;
    log('DaemonSet deleted, pods garbage-collected');
    passed = true;
    return { namespace: ns, nodes: all, labelledNodes: labelled, podNodes, timings };
  } finally {
    if (!o.keepNamespace) {
      try {
        await kube.delete(`/api/v1/namespaces/${ns}`);
        await waitFor(`namespace ${ns} deleted`, async () => !(await kube.getOrUndefined(`/api/v1/namespaces/${ns}`)), { timeoutMs });
      } catch (e) {
        // After a failure the first error is the one to see; after a pass this one fails the check.
        if (passed) throw new SmokeError(`namespace ${ns} was not removed: ${e.message}`, { cause: e });
        log(`cleanup of namespace ${ns} after a failure: ${e.message}`);
      }
    }
  }
}
