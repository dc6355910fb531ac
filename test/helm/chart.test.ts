// The Helm chart without a cluster: helm lint, golden renders (default values and the DPDK/SR-IOV
// values set), values.schema.json refusing bad values with a clear message, secure defaults, the
// CRD kept identical to crds/, and every value in values.yaml documented.
// After an intended change, regenerate the goldens with
//   TAPLINE_UPDATE_GOLDEN=1 npx vitest run test/helm/chart.test.ts
// and review the diff.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import {
  CHART, DPDK_VALUES, GOLDEN_DIR, NAMESPACE, REPO, find, helmTemplate, helmTools, parseManifests, renderChart, run, valuesFile,
  type K8sObject,
} from './support/helm.js';

const CRD_FILE = 'tapline.dev_snifferpolicies.yaml';

/**
 * helm's output with the CRD's schema left out: the CRD has a test of its own (identical to
 * crds/), and API changes should not need a chart golden update. Its metadata stays.
 */
function goldenText(rendered: string): string {
  return rendered
    .split(/^---\n/m)
    .map((doc) => {
      if (!doc.startsWith('# Source: tapline/templates/crds.yaml')) return doc;
      const spec = doc.indexOf('\nspec:\n');
      return `${doc.slice(0, spec + 1)}spec: {} # elided: the spec of crds/${CRD_FILE}, checked by 'the CRD is crds/'\n`;
    })
    .join('---\n');
}

function golden(file: string, actual: string): void {
  const p = path.join(GOLDEN_DIR, file);
  if (process.env.TAPLINE_UPDATE_GOLDEN === '1') writeFileSync(p, actual);
  expect(actual).toBe(readFileSync(p, 'utf8'));
}

function deployment(objs: K8sObject[]): K8sObject {
  return find(objs, 'Deployment');
}

describe('helm lint', () => {
  it.each([
    ['default values', []],
    ['DPDK/SR-IOV values', ['-f', DPDK_VALUES]],
  ])('passes --strict with %s', async (_name, args) => {
    const { helm } = await helmTools();
    const r = run(helm, ['lint', CHART, '--strict', '--namespace', NAMESPACE, ...args]);
    expect(r.stdout + r.stderr).toContain('1 chart(s) linted, 0 chart(s) failed');
    expect(r.stdout).not.toMatch(/\[(WARNING|ERROR)\]/);
    expect(r.status).toBe(0);
  });
});

describe('helm template goldens', () => {
  it('default values', async () => {
    golden('default.yaml', goldenText(await renderChart()));
  });

  it('DPDK/SR-IOV values set (examples/values-dpdk-sriov.yaml)', async () => {
    golden('dpdk-sriov.yaml', goldenText(await renderChart(['-f', DPDK_VALUES])));
  });

  it('the default render has exactly the expected objects', async () => {
    const kinds = parseManifests(await renderChart()).map((o) => `${o.kind}/${o.metadata.name}`).sort();
    expect(kinds).toEqual([
      'ClusterRole/tapline-operator',
      'ClusterRoleBinding/tapline-operator',
      'CustomResourceDefinition/snifferpolicies.tapline.dev',
      'Deployment/tapline',
      'Role/tapline-leader-election',
      'RoleBinding/tapline-leader-election',
      'Service/tapline-metrics',
      'ServiceAccount/tapline',
    ]);
  });
});

describe('values.schema.json refuses bad values, naming the value', () => {
  const cases: [string, string[], string][] = [
    ['replicaCount below 1', ['--set', 'replicaCount=0'], "at '/replicaCount': minimum: got 0, want 1"],
    ['an unknown pull policy', ['--set', 'image.pullPolicy=Sometimes'], "at '/image/pullPolicy': value must be one of 'Always', 'IfNotPresent', 'Never'"],
    ['a privileged metrics port', ['--set', 'operator.metricsPort=80'], "at '/operator/metricsPort': minimum"],
    ['a namespace that is not a DNS label', ['--set', 'watchNamespaces[0]=Bad_NS'], "at '/watchNamespaces/0': 'Bad_NS' does not match pattern"],
    ['a misspelt top-level key', ['--set', 'imagee.tag=x'], "additional properties 'imagee' not allowed"],
    ['a misspelt nested key', ['--set', 'agent.allowPrivileged=true'], "at '/agent': additional properties 'allowPrivileged' not allowed"],
    ['running the operator as root', ['--set', 'podSecurityContext.runAsNonRoot=false'], "at '/podSecurityContext/runAsNonRoot': value must be true"],
    ['adding a capability to the operator', ['--set', 'securityContext.capabilities.add[0]=NET_ADMIN'], "at '/securityContext/capabilities/add': maxItems: got 1, want 0"],
    ['a string for a boolean', ['--set', 'crds.keep=yes'], "at '/crds/keep': got string, want boolean"],
    ['a malformed image digest', ['--set', 'image.digest=sha256:abc'], "at '/image/digest': 'sha256:abc' does not match pattern"],
    ['a bad scrape interval', ['--set', 'serviceMonitor.interval=30 seconds'], "at '/serviceMonitor/interval'"],
  ];
  it.each(cases)('%s', async (_name, args, message) => {
    const r = await helmTemplate(args);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain("values don't meet the specifications of the schema(s)");
    expect(r.stderr).toContain(message);
    expect(r.stdout).toBe('');
  });

  it('a bad value in a values file is refused the same way', async () => {
    const r = await helmTemplate(['-f', valuesFile({ agent: { allowPrivilegedAgents: 'maybe' } })]);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain("at '/agent/allowPrivilegedAgents': got string, want boolean");
  });
});

describe('secure defaults of the operator', () => {
  it('non-root, read-only root filesystem, no privilege escalation, every capability dropped, seccomp RuntimeDefault', async () => {
    const pod = deployment(parseManifests(await renderChart())).spec.template.spec;
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
    expect(pod.securityContext.runAsUser).toBeGreaterThan(0);
    expect(pod.hostNetwork ?? false).toBe(false);
    expect(pod.hostPID ?? false).toBe(false);
    expect(pod.hostIPC ?? false).toBe(false);
    expect(pod.containers).toHaveLength(1);
    const c = pod.containers[0];
    expect(c.securityContext).toEqual({
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      runAsNonRoot: true,
      capabilities: { drop: ['ALL'] },
    });
    expect(c.resources.requests).toMatchObject({ cpu: expect.any(String), memory: expect.any(String) });
    expect(c.resources.limits.memory).toEqual(expect.any(String));
    // Writable space only where mounted: an emptyDir /tmp.
    for (const v of pod.volumes) expect(Object.keys(v).sort()).toEqual(['emptyDir', 'name']);
  });

  it('runs `tapline operator` with its namespaces and metrics port, probed on /healthz and /readyz', async () => {
    const c = deployment(parseManifests(await renderChart())).spec.template.spec.containers[0];
    expect(c.args).toEqual([
      'operator', `--watch-namespaces=${NAMESPACE}`, '--metrics-port=8080', '--leader-elect', `--lease-namespace=${NAMESPACE}`,
      '--workers=2', '--log-level=info', '--agent-image=ghcr.io/tapline/agent:0.1.0', '--identity-map-bucket=tapline-identity',
    ]);
    expect(c.env).toEqual([{ name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }]);
    expect(c.ports).toEqual([{ name: 'metrics', containerPort: 8080, protocol: 'TCP' }]);
    expect(c.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'metrics' });
    expect(c.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'metrics' });
    expect(c.image).toBe('ghcr.io/tapline/operator:0.1.0');
  });

  it('replicas: 1 by default; 2 adds anti-affinity across nodes (leader election makes it safe)', async () => {
    expect(deployment(parseManifests(await renderChart())).spec.replicas).toBe(1);
    const two = deployment(parseManifests(await renderChart(['--set', 'replicaCount=2'])));
    expect(two.spec.replicas).toBe(2);
    const term = two.spec.template.spec.affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].podAffinityTerm;
    expect(term.topologyKey).toBe('kubernetes.io/hostname');
    expect(term.labelSelector.matchLabels).toEqual(two.spec.selector.matchLabels);
  });

  it('the metrics Service selects the operator pods on the metrics port', async () => {
    const objs = parseManifests(await renderChart());
    const svc = find(objs, 'Service');
    expect(svc.spec.selector).toEqual(deployment(objs).spec.selector.matchLabels);
    expect(svc.spec.ports).toEqual([{ name: 'metrics', port: 8080, targetPort: 'metrics', protocol: 'TCP' }]);
  });

  it('agent settings reach the operator as flags: image (tag or digest), privileged agents off by default', async () => {
    const args = (objs: K8sObject[]): string[] => deployment(objs).spec.template.spec.containers[0].args;
    const plain = args(parseManifests(await renderChart()));
    expect(plain).toContain('--agent-image=ghcr.io/tapline/agent:0.1.0');
    expect(plain).not.toContain('--allow-privileged');
    const digest = `sha256:${'a'.repeat(64)}`;
    const dpdk = args(parseManifests(await renderChart(['-f', DPDK_VALUES, '--set', `agent.image.digest=${digest}`])));
    expect(dpdk).toContain(`--agent-image=registry.example.com/tapline/agent@${digest}`);
    expect(dpdk).toContain('--allow-privileged');
  });
});

describe('watchNamespaces and namespaces', () => {
  it('defaults to the release namespace; a list is passed as one comma-separated flag', async () => {
    const objs = parseManifests(await renderChart(['--set', 'watchNamespaces={netops,edge}']));
    expect(deployment(objs).spec.template.spec.containers[0].args).toContain('--watch-namespaces=netops,edge');
    expect(objs.filter((o) => o.kind === 'Namespace')).toEqual([]);
  });

  it('namespaces.create makes each watched namespace except the release namespace', async () => {
    const objs = parseManifests(await renderChart([
      '--set', `watchNamespaces={netops,${NAMESPACE},edge}`, '--set', 'namespaces.create=true',
      '--set', 'namespaces.labels.pod-security\\.kubernetes\\.io/enforce=privileged',
    ]));
    const ns = objs.filter((o) => o.kind === 'Namespace');
    expect(ns.map((n) => n.metadata.name)).toEqual(['netops', 'edge']);
    for (const n of ns) expect(n.metadata.labels!['pod-security.kubernetes.io/enforce']).toBe('privileged');
  });
});

describe('the CRD is crds/', () => {
  const source = readFileSync(path.join(REPO, 'crds', CRD_FILE), 'utf8');

  it('charts/tapline/files/crds holds a byte-for-byte copy of crds/', () => {
    expect(readFileSync(path.join(CHART, 'files', 'crds', CRD_FILE), 'utf8')).toBe(source);
  });

  it('the rendered CRD equals crds/ plus the chart labels and the keep annotation', async () => {
    const want = parseAllDocuments(source).map((d) => d.toJS()).filter(Boolean)[0] as K8sObject;
    const crd = find(parseManifests(await renderChart()), 'CustomResourceDefinition');
    expect(crd.spec).toEqual(want.spec);
    expect(crd.metadata.name).toBe(want.metadata.name);
    expect(crd.metadata.labels).toMatchObject(want.metadata.labels!);
    expect(crd.metadata.labels!['app.kubernetes.io/managed-by']).toBe('Helm');
    expect(crd.metadata.annotations).toEqual({ 'helm.sh/resource-policy': 'keep' });
  });

  it('crds.keep=false drops the annotation; crds.enabled=false drops the CRD', async () => {
    const noKeep = find(parseManifests(await renderChart(['--set', 'crds.keep=false'])), 'CustomResourceDefinition');
    expect(noKeep.metadata.annotations).toBeUndefined();
    const kinds = parseManifests(await renderChart(['--set', 'crds.enabled=false'])).map((o) => o.kind);
    expect(kinds).not.toContain('CustomResourceDefinition');
    expect(kinds).toContain('Deployment');
  });
});

describe('optional objects', () => {
  it('ServiceMonitor and PodDisruptionBudget only when enabled', async () => {
    const plain = parseManifests(await renderChart()).map((o) => o.kind);
    expect(plain).not.toContain('ServiceMonitor');
    expect(plain).not.toContain('PodDisruptionBudget');
    const objs = parseManifests(await renderChart(['-f', DPDK_VALUES]));
    const sm = find(objs, 'ServiceMonitor');
    expect(sm.spec.selector.matchLabels).toEqual(deployment(objs).spec.selector.matchLabels);
    expect(sm.spec.endpoints).toEqual([{ port: 'metrics', path: '/metrics', interval: '30s', scrapeTimeout: '10s' }]);
    expect(sm.metadata.labels!.release).toBe('prometheus');
    expect(find(objs, 'PodDisruptionBudget').spec.minAvailable).toBe(1);
  });
});

describe('values.yaml', () => {
  // Every value (a key of a closed object of values.schema.json that is not itself a group of
  // values) has a comment right above it.
  it('every value has a comment', () => {
    const schema = JSON.parse(readFileSync(path.join(CHART, 'values.schema.json'), 'utf8'));
    const lines = readFileSync(path.join(CHART, 'values.yaml'), 'utf8').split('\n');
    const stack: { indent: number; schema: any }[] = [{ indent: -1, schema }];
    const undocumented: string[] = [];
    const keys: string[] = [];
    lines.forEach((line, i) => {
      const m = /^( *)([A-Za-z][\w.-]*):/.exec(line);
      if (!m) return;
      const indent = m[1]!.length;
      while (stack.length > 1 && stack.at(-1)!.indent >= indent) stack.pop();
      const parent = stack.at(-1)!.schema;
      if (!parent || parent.additionalProperties !== false) {
        stack.push({ indent, schema: undefined }); // inside a free-form value: its content, not values
        return;
      }
      const node = parent.properties?.[m[2]!];
      if (!node) throw new Error(`values.yaml line ${i + 1}: ${m[2]} is not in values.schema.json`);
      keys.push(m[2]!);
      const isGroup = node.type === 'object' && node.additionalProperties === false;
      if (!isGroup && !/^ *#/.test(lines[i - 1] ?? '')) undocumented.push(`line ${i + 1}: ${line.trim()}`);
      stack.push({ indent, schema: node });
    });
    expect(undocumented).toEqual([]);
    expect(keys.length).toBeGreaterThan(40);
  });

  it('values.yaml satisfies values.schema.json, and the schema covers every key of values.yaml', async () => {
    // helm validates values against the schema on every render; a key missing from the schema
    // would be refused by additionalProperties: false.
    const r = await helmTemplate(['-f', path.join(CHART, 'values.yaml')]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });
});
