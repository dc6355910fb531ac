// The CRD in crds/ is exactly what the zod schema generates (drift check, as `make manifests`
// verification), and its schema is structural, described and carries the CEL rules.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { z } from 'zod';
import { customResourceDefinition, openAPIV3Schema, PRINTER_COLUMNS } from '../../operator/api/crd.js';
import { CRD_FILE, renderCrdYaml, yamlDocument } from '../../operator/api/generate-crd.js';
import { convert, undescribed, type JSONSchemaProps } from '../../operator/api/openapi.js';

const root = process.cwd();

function walk(s: JSONSchemaProps, p: string, visit: (s: JSONSchemaProps, p: string) => void): void {
  visit(s, p);
  for (const [k, c] of Object.entries(s.properties ?? {})) walk(c, `${p}.${k}`, visit);
  if (s.items) walk(s.items, `${p}[]`, visit);
  if (s.additionalProperties) walk(s.additionalProperties, `${p}{}`, visit);
}

function at(s: JSONSchemaProps, dotted: string): JSONSchemaProps {
  let cur = s;
  for (const part of dotted.split('.')) {
    const next = part.endsWith('[]') ? cur.properties?.[part.slice(0, -2)]?.items : cur.properties?.[part];
    if (!next) throw new Error(`no ${dotted} in the schema (at ${part})`);
    cur = next;
  }
  return cur;
}

describe('crds/tapline.dev_snifferpolicies.yaml', () => {
  it('is what the zod schema generates (run node dist/operator/api/generate-crd.js if not)', () => {
    expect(readFileSync(path.join(root, CRD_FILE), 'utf8')).toBe(renderCrdYaml());
  });

  it('is generated deterministically', () => {
    expect(renderCrdYaml()).toBe(renderCrdYaml());
  });

  it('generate-crd --check fails on a stale file and passes on a fresh one', () => {
    const script = path.join(root, 'dist', 'operator', 'api', 'generate-crd.js');
    let built = true;
    try {
      readFileSync(script);
    } catch {
      built = false;
    }
    if (!built) return; // the TypeScript build (npm run build:ts) makes dist/; the drift test above covers the content
    const dir = mkdtempSync(path.join(tmpdir(), 'tapline-crd-'));
    const out = path.join(dir, 'crd.yaml');
    writeFileSync(out, 'stale\n');
    expect(() => execFileSync(process.execPath, [script, '--check', '--out', out], { stdio: 'pipe' })).toThrow(/out of date/);
    execFileSync(process.execPath, [script, '--out', out], { stdio: 'pipe' });
    expect(execFileSync(process.execPath, [script, '--check', '--out', out], { stdio: 'pipe' }).toString()).toMatch(/up to date/);
  });
});

describe('the SnifferPolicy CRD', () => {
  const crd = customResourceDefinition();
  const schema = openAPIV3Schema();
  const spec = schema.properties!.spec!;

  it('names the resource tapline.dev/v1alpha1 SnifferPolicy, namespaced, with short names and a category', () => {
    expect(crd.metadata.name).toBe('snifferpolicies.tapline.dev');
    expect(crd.spec.scope).toBe('Namespaced');
    expect(crd.spec.names).toMatchObject({ kind: 'SnifferPolicy', plural: 'snifferpolicies', shortNames: ['sp', 'sniff'], categories: ['tapline'] });
    expect(crd.spec.versions).toHaveLength(1);
    expect(crd.spec.versions[0]).toMatchObject({ name: 'v1alpha1', served: true, storage: true, subresources: { status: {} } });
  });

  it('describes every property (for kubectl explain)', () => {
    expect(undescribed(spec, 'spec')).toEqual([]);
    expect(undescribed(schema.properties!.status!, 'status')).toEqual([]);
  });

  it('is structural: every node typed, no additionalProperties: false, no preserved unknown fields', () => {
    walk(schema, '', (s, p) => {
      if (p.startsWith('.metadata')) return;
      expect(s.type, p).toBeDefined();
      expect(s['x-kubernetes-preserve-unknown-fields'], p).toBeUndefined();
      if (s.additionalProperties) expect(s.properties, `${p} has both properties and additionalProperties`).toBeUndefined();
      expect((s as { additionalProperties?: unknown }).additionalProperties, p).not.toBe(false);
    });
  });

  it('bounds every list and map (the CEL cost budget and etcd object size need it)', () => {
    walk(spec, 'spec', (s, p) => {
      if (s.type === 'array') expect(s.maxItems, p).toBeGreaterThan(0);
      if (s.additionalProperties) expect(s.maxProperties, p).toBeGreaterThan(0);
    });
  });

  it('writes object defaults in full so the API server can check them against the CEL rules', () => {
    expect(spec.properties!.flows!.default).toEqual({ idleTimeoutSeconds: 15, activeTimeoutSeconds: 1800, maxFlows: 1_048_576 });
    expect(at(spec, 'export.streamLimits').default).toEqual({ maxAgeSeconds: 86_400, replicas: 1 });
  });

  it('carries the cross-field rules as CEL with messages', () => {
    const rules = (p: string) => (p === '' ? spec : at(spec, p))['x-kubernetes-validations']?.map((r) => r.message) ?? [];
    expect(rules('capture')).toEqual(
      expect.arrayContaining([
        'interfaces are required for the afpacket backend',
        'hugepages are only used by the dpdk backend',
        'set sriovResourceName or pciAddresses, not both',
        'the dpdk backend needs hugepages',
        'the dpdk backend needs sriovResourceName, pciAddresses or vdevs',
        'set vdevs or a NIC (sriovResourceName or pciAddresses), not both',
        'vdevs must have distinct device names (net_af_packet0, net_af_packet1, ...)',
        'cores must list at least one CPU per worker',
      ]),
    );
    expect(rules('flows')).toEqual(['activeTimeoutSeconds must be greater than idleTimeoutSeconds']);
    expect(rules('capture.hugepages')).toEqual(['amount must be a whole number of pages (a multiple of pageSize)']);
    expect(rules('detectors.volumetric')).toHaveLength(1);
    expect(rules('tolerations[]')).toHaveLength(3);
    expect(rules('nodeSelector.matchExpressions[]')).toHaveLength(1);
    walk(spec, 'spec', (s, p) => {
      for (const r of s['x-kubernetes-validations'] ?? []) {
        expect(r.rule, p).toBeTruthy();
        expect(r.message, p).toMatch(/^[a-z].*[^.]$/);
      }
    });
  });

  it('lists conditions as a map keyed by type, with the interface-conflict representation', () => {
    const status = schema.properties!.status!;
    expect(status.properties!.conditions).toMatchObject({ 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['type'] });
    expect(at(status, 'conditions[].status').enum).toEqual(['True', 'False', 'Unknown']);
    expect(Object.keys(at(status, 'conflicts[]').properties!)).toEqual(['nodeName', 'device', 'policy']);
  });

  it('has printer columns whose paths exist in the schema', () => {
    expect(PRINTER_COLUMNS.map((c) => c.name)).toEqual(['Backend', 'Desired', 'Nodes Ready', 'Up-To-Date', 'Ready', 'Reason', 'Paused', 'Age']);
    for (const c of PRINTER_COLUMNS) {
      if (c.jsonPath.startsWith('.metadata')) continue;
      const dotted = c.jsonPath.slice(1).replace(/\[\?.*\)\]/, '[]');
      expect(() => at(schema, dotted), c.jsonPath).not.toThrow();
    }
  });
});

describe('the CRD as YAML', () => {
  it('reads back as exactly the generated object, with YAML 1.1 (go-yaml: kubectl, Helm) and 1.2 readers', () => {
    const want = JSON.parse(JSON.stringify(customResourceDefinition()));
    const text = renderCrdYaml();
    expect(text.startsWith('# Generated from operator/api')).toBe(true);
    for (const version of ['1.1', '1.2'] as const) {
      const docs = parseAllDocuments(text, { version });
      expect(docs).toHaveLength(1);
      expect(docs[0]!.toJS()).toEqual(want);
    }
  });

  it('quotes what a YAML 1.1 reader would take for another type, and keeps long strings on one line', () => {
    const value = { a: 'on', b: 'y', c: '0755', d: '1:20', e: 'True', f: 'x: y', g: 'a #b', h: '', i: '10', j: '*', k: 'no' };
    const text = yamlDocument(value);
    expect(parse(text, { version: '1.1' })).toEqual(value);
    expect(yamlDocument({ d: 'x'.repeat(300) }).split('\n')).toHaveLength(3);
  });
});

describe('zod → structural schema', () => {
  it('says an integer\'s format instead of its implicit range, int32 when the bounds fit', () => {
    expect(convert(z.int())).toEqual({ type: 'integer', format: 'int64' });
    expect(convert(z.int().min(0).max(65535))).toEqual({ type: 'integer', format: 'int32', minimum: 0, maximum: 65535 });
    expect(convert(z.int32().min(0))).toEqual({ type: 'integer', format: 'int32', minimum: 0 });
  });

  it('writes object defaults in full and states scalar defaults in the description', () => {
    const s = z.strictObject({ n: z.int().min(1).default(3).describe('N.') });
    expect(convert(z.strictObject({ o: s.prefault({}) })).properties!.o!.default).toEqual({ n: 3 });
    expect(convert(s).properties!.n!.description).toBe('N. Default: 3.');
  });

  it('refuses what a structural schema cannot say, naming the field', () => {
    expect(() => convert(z.strictObject({ a: z.object({ b: z.string() }) }), 'spec')).toThrow(/spec\.a: objects must be strict/);
    expect(() => convert(z.strictObject({ u: z.union([z.string(), z.int()]) }), 'spec')).toThrow(/spec\.u: anyOf/);
    expect(() => convert(z.strictObject({ p: z.string().regex(/^a/).regex(/b$/) }), 'spec')).toThrow(/spec\.p: allOf/);
  });
});
