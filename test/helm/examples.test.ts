// examples/ without a cluster: each policy is valid per the zod schema (operator/api), the
// kustomization lists real files, and two policies never claim one interface on one node.
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { API_VERSION, KIND, parsePolicy } from '../../operator/api/policy.js';
import { DEFAULT_METRICS_PORT } from '../../operator/api/spec.js';
import { EXAMPLES, EXAMPLES_NAMESPACE, POLICY_FILES, examplePolicy, kustomization } from './support/examples.js';

describe('examples/', () => {
  it('holds the documented files', () => {
    const files = readdirSync(EXAMPLES).sort();
    expect(files).toEqual([...POLICY_FILES, 'README.md', 'kustomization.yaml', 'values-dpdk-sriov.yaml'].sort());
  });

  it.each(POLICY_FILES)('%s is a SnifferPolicy the zod schema accepts', (file) => {
    const obj = examplePolicy(file);
    expect(obj.apiVersion).toBe(API_VERSION);
    expect(obj.kind).toBe(KIND);
    // No namespace in the file: the kustomization (or kubectl -n) chooses it.
    expect(obj.metadata.namespace).toBeUndefined();
    const p = parsePolicy({ ...obj, metadata: { ...obj.metadata, namespace: EXAMPLES_NAMESPACE, uid: 'example' } });
    expect(p.metadata.name).toBe(obj.metadata.name);
  });

  it('the backends are the documented ones', () => {
    const backend = (f: string) => examplePolicy(f).spec.capture.backend;
    expect(POLICY_FILES.map(backend)).toEqual(['afpacket', 'dpdk', 'afpacket', 'dpdk']);
    const dpdk = examplePolicy('dpdk-sriov.yaml').spec.capture;
    expect(dpdk.sriovResourceName).toMatch(/\//);
    expect(dpdk.hugepages).toMatchObject({ pageSize: '1Gi' });
    // Nodes without SR-IOV: a DPDK virtual device on the agent pod's own eth0, 2Mi hugepages.
    const vdev = examplePolicy('dpdk-vdev.yaml').spec.capture;
    expect(vdev.vdevs).toEqual(['net_af_packet0,iface=eth0']);
    expect(vdev.sriovResourceName).toBeUndefined();
    expect(vdev.hugepages).toMatchObject({ pageSize: '2Mi' });
    const detectors = examplePolicy('ddos-watch.yaml').spec.detectors;
    for (const d of ['volumetric', 'synFlood', 'portScan', 'heavyHitters']) expect(detectors[d].enabled, d).toBe(true);
  });

  it('kustomization.yaml names existing files and the namespace the docs use', () => {
    const k = kustomization();
    expect(k.apiVersion).toBe('kustomize.config.k8s.io/v1beta1');
    expect(k.kind).toBe('Kustomization');
    expect(k.namespace).toBe(EXAMPLES_NAMESPACE);
    for (const r of k.resources) expect(existsSync(path.join(EXAMPLES, r)), r).toBe(true);
    expect(k.resources).toEqual(['afpacket.yaml', 'ddos-watch.yaml']);
  });

  it('the policies the kustomization applies together claim different interfaces or metrics ports', () => {
    const ps = kustomization().resources.map((f) => examplePolicy(f).spec);
    const ifaces = ps.flatMap((s) => s.capture.interfaces ?? []);
    expect(new Set(ifaces).size).toBe(ifaces.length);
    // afpacket agents share the host network: one metrics port each.
    const ports = ps.map((s) => s.metricsPort ?? DEFAULT_METRICS_PORT);
    expect(new Set(ports).size).toBe(ports.length);
  });
});
