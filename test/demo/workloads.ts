// Workloads for the demo on real nodes, so that its flows have Kubernetes names: a `web`
// Deployment (a small HTTP server) behind a `web` Service, and a `client` Deployment that keeps
// calling every web pod, the Service's cluster IP and an address outside the cluster. One pod of
// each per capture node (spread by hostname); they run the agent image (it holds Node.js) with a
// command of their own. Pods reach pods on their own node; a connection to another node's pod, to
// the cluster IP (no kube-proxy here) or outside goes no further than the node, but its SYNs are on
// the pod bridge (cni0) the agents capture, so those flows are recorded and named too.
import type { DemoCluster } from './control-plane.js';
import { DEMO_NAMESPACE } from './policy.js';

/** Outside every cluster range (TEST-NET-2): flows to it say `external`. Nothing answers. */
export const EXTERNAL_ADDRESS = '198.51.100.10';
export const WEB_PORT = 8080;

const SERVER = `require('http').createServer((q, s) => s.end('web ' + process.env.POD_NAME + '\\n')).listen(${WEB_PORT}, () => console.log('listening'));`;
const CLIENT = [
  "const net = require('net');",
  "const targets = process.env.TARGETS.split(',').map((t) => t.split(':'));",
  'setInterval(() => { for (const [host, port] of targets) {',
  "  const s = net.connect({ host, port: Number(port), timeout: 1000 }, () => s.end('GET / HTTP/1.0\\r\\n\\r\\n'));",
  "  s.on('data', () => {}); s.on('timeout', () => s.destroy()); s.on('error', () => {});",
  '} }, 400);',
].join('\n');

export interface DemoWorkloads {
  web: Array<{ pod: string; ip: string; node: string }>;
  serviceIp: string;
}

function deployment(name: string, image: string, captureLabel: string, script: string, env: Array<{ name: string; value: string }>) {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: DEMO_NAMESPACE, labels: { app: name } },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: {
          nodeSelector: { [captureLabel]: 'true' },
          topologySpreadConstraints: [{ maxSkew: 1, topologyKey: 'kubernetes.io/hostname', whenUnsatisfiable: 'DoNotSchedule', labelSelector: { matchLabels: { app: name } } }],
          terminationGracePeriodSeconds: 1,
          containers: [{
            name,
            image,
            imagePullPolicy: 'Never',
            command: ['node', '-e', script],
            env: [{ name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }, ...env],
            resources: { requests: { cpu: '20m', memory: '48Mi' }, limits: { cpu: '100m', memory: '96Mi' } },
            securityContext: { runAsNonRoot: true, runAsUser: 65532, allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } },
          }],
        },
      },
    },
  };
}

interface PodList {
  items: Array<{ metadata: { name: string }; spec: { nodeName?: string }; status?: { podIP?: string; phase?: string; conditions?: Array<{ type: string; status: string }> } }>;
}

async function readyPods(c: DemoCluster, app: string, want: number) {
  return c.harness.waitFor(`${want} ready ${app} pods`, async () => {
    const pods = await c.kube.get<PodList>(`/api/v1/namespaces/${DEMO_NAMESPACE}/pods?labelSelector=app%3D${app}`);
    const ready = pods.items.filter((p) => p.status?.podIP && p.status.conditions?.some((x) => x.type === 'Ready' && x.status === 'True'));
    return ready.length >= want ? ready.map((p) => ({ pod: p.metadata.name, ip: p.status!.podIP!, node: p.spec.nodeName ?? '' })) : undefined;
  }, { timeoutMs: 180_000 });
}

/** Starts web (and its Service), then client with every web pod, the cluster IP and the outside address as targets. */
export async function startWorkloads(c: DemoCluster, image: string, nodes: number): Promise<DemoWorkloads> {
  const label = c.handle.captureLabel;
  await c.kube.apply(`/apis/apps/v1/namespaces/${DEMO_NAMESPACE}/deployments/web`, deployment('web', image, label, SERVER, []));
  const svc = await c.kube.apply<{ spec: { clusterIP: string } }>(`/api/v1/namespaces/${DEMO_NAMESPACE}/services/web`, {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'web', namespace: DEMO_NAMESPACE },
    spec: { selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: WEB_PORT }] },
  });
  const web = await readyPods(c, 'web', nodes);
  const targets = [...web.map((w) => `${w.ip}:${WEB_PORT}`), `${svc.spec.clusterIP}:80`, `${EXTERNAL_ADDRESS}:443`].join(',');
  await c.kube.apply(`/apis/apps/v1/namespaces/${DEMO_NAMESPACE}/deployments/client`, deployment('client', image, label, CLIENT, [{ name: 'TARGETS', value: targets }]));
  await readyPods(c, 'client', nodes);
  return { web, serviceIp: svc.spec.clusterIP };
}
