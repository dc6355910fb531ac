// The SnifferPolicy zod schema: valid policies parse (with the documented defaults), invalid
// ones are refused with a message that names the field.
import { describe, expect, it } from 'vitest';
import { isInvalidPolicyError } from '../../operator/api/errors.js';
import { API_VERSION, KIND, parsePolicy, parseSpec } from '../../operator/api/policy.js';
import { cpusetSize } from '../../operator/api/capture.js';
import { INVALID_SPECS, VALID_SPECS } from './support/policy-examples.js';

function refusal(spec: unknown): { path: string; message: string }[] {
  try {
    parseSpec(spec);
  } catch (e) {
    if (isInvalidPolicyError(e)) return e.issues;
    throw e;
  }
  throw new Error('the spec was accepted');
}

describe('valid SnifferPolicy specs', () => {
  it.each(Object.entries(VALID_SPECS))('%s parses', (_name, spec) => {
    expect(() => parseSpec(spec)).not.toThrow();
  });

  it('fills in the defaults', () => {
    const spec = parseSpec(VALID_SPECS['afpacket, minimal']);
    expect(spec.capture).toEqual({ backend: 'afpacket', interfaces: ['eth0'], snaplen: 256, workers: 1, privileged: false });
    expect(spec.flows).toEqual({ idleTimeoutSeconds: 15, activeTimeoutSeconds: 1800, maxFlows: 1_048_576 });
    expect(spec.detectors.volumetric).toEqual({ enabled: false, windowSeconds: 10 });
    expect(spec.detectors.portScan).toEqual({ enabled: false, distinctPorts: 100, windowSeconds: 60 });
    expect(spec.detectors.cooldownSeconds).toBe(300);
    expect(spec.export).toEqual({
      natsUrl: 'nats://nats.nats.svc:4222',
      stream: 'TAPLINE',
      subjectPrefix: 'tapline',
      createStream: true,
      streamLimits: { maxAgeSeconds: 86_400, replicas: 1 },
    });
    expect(spec.metricsPort).toBe(9464);
    expect(spec.paused).toBe(false);
  });

  it('defaults the hugepage size, toleration operator and credentials key', () => {
    const dpdk = parseSpec({ ...VALID_SPECS['dpdk, PCI addresses, privileged'] });
    expect(dpdk.capture.hugepages).toEqual({ pageSize: '2Mi', amount: '512Mi' });
    const t = parseSpec({
      ...VALID_SPECS['afpacket, minimal'],
      tolerations: [{ key: 'dedicated', value: 'capture' }],
      export: { natsUrl: 'nats://n:4222', credentialsSecretRef: { name: 'nats' } },
    });
    expect(t.tolerations?.[0]?.operator).toBe('Equal');
    expect(t.export.credentialsSecretRef).toEqual({ name: 'nats', key: 'nats.creds' });
  });

  it('parses a whole object read from the API server', () => {
    const p = parsePolicy({
      apiVersion: API_VERSION,
      kind: KIND,
      metadata: { name: 'edge', namespace: 'net', uid: 'u-1', generation: 3, resourceVersion: '9', managedFields: [] },
      spec: VALID_SPECS['afpacket, minimal'],
      status: { observedGeneration: 2, conditions: [] },
    });
    expect(p.metadata.generation).toBe(3);
    expect(p.spec.capture.workers).toBe(1);
  });
});

describe('invalid SnifferPolicy specs', () => {
  it('has at least 15 examples', () => {
    expect(Object.keys(INVALID_SPECS).length).toBeGreaterThanOrEqual(15);
  });

  it.each(Object.entries(INVALID_SPECS))('refuses: %s', (_name, ex) => {
    const issues = refusal(ex.spec);
    const match = issues.find((i) => i.path === ex.path && i.message.includes(ex.zod));
    expect(match, `issues: ${JSON.stringify(issues)}`).toBeDefined();
  });

  it('says which policy and which field in the error message', () => {
    expect(() =>
      parsePolicy({
        apiVersion: API_VERSION,
        kind: KIND,
        metadata: { name: 'edge', namespace: 'net', uid: 'u-1' },
        spec: INVALID_SPECS['snaplen above 65535']!.spec,
      }),
    ).toThrow(/^SnifferPolicy net\/edge is invalid: spec\.capture\.snaplen: Too big: expected number to be <=65535$/);
  });

  it('refuses an object of another kind', () => {
    expect(() =>
      parsePolicy({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a', namespace: 'b', uid: 'c' }, spec: VALID_SPECS['afpacket, minimal'] }),
    ).toThrow(/apiVersion/);
  });
});

describe('cpusetSize', () => {
  it('counts the CPUs of a cpuset list', () => {
    expect(cpusetSize('3')).toBe(1);
    expect(cpusetSize('2-5')).toBe(4);
    expect(cpusetSize('0,2-3,8-15')).toBe(11);
  });
});
