// The chart's RBAC is exactly what the operator needs (operator/rbac.ts): rules, order, comments.
// After a change to operator/rbac.ts:  TAPLINE_UPDATE_GOLDEN=1 npx vitest run test/helm/rbac.test.ts
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLUSTER_ROLE_RULES, IDENTITY_MAP_RULES, LEADER_ELECTION_RULES, LEADER_LEASE_NAME, plainRules } from '../../operator/rbac.js';
import { CHART, NAMESPACE, find, parseManifests, renderChart } from './support/helm.js';
import { rbacTemplate } from './support/rbac-template.js';

const TEMPLATE = path.join(CHART, 'templates', 'rbac.yaml');

describe('chart RBAC', () => {
  it('templates/rbac.yaml is generated from operator/rbac.ts (a comment above every rule)', () => {
    const want = rbacTemplate();
    if (process.env.TAPLINE_UPDATE_GOLDEN === '1') writeFileSync(TEMPLATE, want);
    expect(readFileSync(TEMPLATE, 'utf8')).toBe(want);
    const lines = want.split('\n');
    const ruleStarts = lines.flatMap((l, i) => (l.startsWith('  - apiGroups:') ? [i] : []));
    expect(ruleStarts).toHaveLength(CLUSTER_ROLE_RULES.length + IDENTITY_MAP_RULES.length + LEADER_ELECTION_RULES.length);
    for (const i of ruleStarts) expect(lines[i - 1]).toMatch(/^ {2}# \S/);
  });

  it('rendered ClusterRole and leader-election Role rules equal operator/rbac.ts', async () => {
    const objs = parseManifests(await renderChart());
    const cr = find(objs, 'ClusterRole');
    const role = find(objs, 'Role');
    expect(cr.rules).toEqual(plainRules(CLUSTER_ROLE_RULES));
    expect(role.rules).toEqual(plainRules(LEADER_ELECTION_RULES));
    expect(role.metadata.namespace).toBe(NAMESPACE);
    // Bound to the operator's ServiceAccount, and nothing else.
    const sa = find(objs, 'ServiceAccount');
    const deploy = find(objs, 'Deployment');
    expect(deploy.spec.template.spec.serviceAccountName).toBe(sa.metadata.name);
    const crb = find(objs, 'ClusterRoleBinding');
    const rb = find(objs, 'RoleBinding');
    expect(crb.roleRef).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: cr.metadata.name });
    expect(rb.roleRef).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: role.metadata.name });
    for (const b of [crb, rb]) expect(b.subjects).toEqual([{ kind: 'ServiceAccount', name: sa.metadata.name, namespace: NAMESPACE }]);
    // Without identityMap.enabled there is no identity-map role.
    expect(objs.filter((o) => o.kind === 'ClusterRole')).toHaveLength(1);
  });

  it('identityMap.enabled adds the identity-map ClusterRole (operator/rbac.ts IDENTITY_MAP_RULES), bound to the same ServiceAccount', async () => {
    const objs = parseManifests(await renderChart(['--set', 'identityMap.enabled=true', '--set', 'identityMap.nats.url=nats://nats.nats.svc:4222']));
    const roles = objs.filter((o) => o.kind === 'ClusterRole');
    expect(roles).toHaveLength(2);
    const idRole = roles.find((r) => r.metadata.name.endsWith('-identity-map'))!;
    expect(idRole.rules).toEqual(plainRules(IDENTITY_MAP_RULES));
    const binding = objs.find((o) => o.kind === 'ClusterRoleBinding' && o.roleRef.name === idRole.metadata.name)!;
    const sa = find(objs, 'ServiceAccount');
    expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: sa.metadata.name, namespace: NAMESPACE }]);
    const args = find(objs, 'Deployment').spec.template.spec.containers[0].args as string[];
    expect(args).toEqual(expect.arrayContaining(['--identity-map-bucket=tapline-identity', '--identity-map-nats=nats://nats.nats.svc:4222', '--identity-map-replicas=1']));
  });

  it('least privilege: no wildcard, no delete, subresources in rules of their own, the Lease by name', async () => {
    const objs = parseManifests(await renderChart());
    for (const r of [...find(objs, 'ClusterRole').rules, ...find(objs, 'Role').rules]) {
      for (const f of ['apiGroups', 'resources', 'verbs', 'resourceNames'] as const) expect(r[f] ?? []).not.toContain('*');
      expect(r.verbs).not.toContain('delete');
      expect(r.verbs).not.toContain('deletecollection');
      const subs = (r.resources as string[]).filter((x) => x.includes('/'));
      if (subs.length) expect(r.resources).toEqual(subs);
      expect(r.resources).not.toContain('secrets');
    }
    const leaseRules = find(objs, 'Role').rules.filter((r: { verbs: string[] }) => r.verbs.some((v) => v !== 'create'));
    for (const r of leaseRules) expect(r.resourceNames).toEqual([LEADER_LEASE_NAME]);
  });

  it('rbac.create=false renders no RBAC objects', async () => {
    const kinds = parseManifests(await renderChart(['--set', 'rbac.create=false'])).map((o) => o.kind);
    for (const k of ['ClusterRole', 'ClusterRoleBinding', 'Role', 'RoleBinding']) expect(kinds).not.toContain(k);
  });
});
