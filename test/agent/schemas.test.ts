// The JSON Schemas in agent/schemas and the zod schemas the tests parse messages with describe
// the same fields (a drift between them fails here).
import { readFileSync } from 'node:fs';
import path from 'node:path';

import { describe, expect, it } from 'vitest';

import { packageRoot } from '../../agent/engine/binding.js';
import { AlertMessageSchema, ExportedFlowRecordSchema, FlowBatchSchema } from '../../agent/export/payload-schemas.js';
import { ENDPOINT_KINDS, EndpointSchema, WorkloadSchema } from '../../agent/identity/endpoint.js';

interface JsonObjectSchema {
  required: string[];
  properties: Record<string, { enum?: unknown[]; properties?: Record<string, unknown>; required?: string[] }>;
  additionalProperties: boolean;
  $defs?: Record<string, JsonObjectSchema>;
}

/** Field names, and which are required, of a zod object: what the JSON Schema must say. */
function zodFields(shape: Record<string, { safeParse(v: unknown): { success: boolean } }>): { all: string[]; required: string[] } {
  const all = Object.keys(shape).sort();
  return { all, required: all.filter((k) => !shape[k]!.safeParse(undefined).success) };
}

function expectSameFields(js: { required?: string[]; properties?: Record<string, unknown> }, shape: Parameters<typeof zodFields>[0]): void {
  const z = zodFields(shape);
  expect(Object.keys(js.properties ?? {}).sort()).toEqual(z.all);
  expect([...(js.required ?? [])].sort()).toEqual(z.required);
}

function jsonSchema(name: string): JsonObjectSchema {
  return JSON.parse(readFileSync(path.join(packageRoot(), 'agent', 'schemas', name), 'utf8'));
}

describe('published schemas', () => {
  it('flow-batch.v2.json matches the zod FlowBatchSchema', () => {
    const js = jsonSchema('flow-batch.v2.json');
    expectSameFields(js, FlowBatchSchema.shape);
    expect(js.additionalProperties).toBe(false);
    expect(js.properties['enrichment']?.enum).toEqual(['on', 'off', 'unavailable']);
  });

  it('flow-record.v2.json matches the zod ExportedFlowRecordSchema, its endpoint EndpointSchema', () => {
    const js = jsonSchema('flow-record.v2.json');
    expectSameFields(js, ExportedFlowRecordSchema.shape);
    expect(js.additionalProperties).toBe(false);
    const endpoint = js.$defs?.['endpoint'];
    expect(endpoint).toBeDefined();
    expectSameFields(endpoint!, EndpointSchema.shape);
    expect(endpoint!.additionalProperties).toBe(false);
    expect(endpoint!.properties['kind']?.enum).toEqual([...ENDPOINT_KINDS]);
    expectSameFields(endpoint!.properties['workload'] as JsonObjectSchema, WorkloadSchema.shape);
  });

  it('flow-record.v2 only adds optional fields to v1 (a v1 record is a valid v2 record)', () => {
    const v1 = jsonSchema('flow-record.v1.json');
    const v2 = jsonSchema('flow-record.v2.json');
    expect([...v2.required].sort()).toEqual([...v1.required].sort());
    for (const k of Object.keys(v1.properties)) expect(v2.properties[k]).toEqual(v1.properties[k]);
  });

  it('alert.v1.json matches the zod AlertMessageSchema', () => {
    const js = jsonSchema('alert.v1.json');
    const shape = AlertMessageSchema.shape;
    expect(Object.keys(js.properties).sort()).toEqual(Object.keys(shape).sort());
    const optional = Object.entries(shape).filter(([, v]) => v.safeParse(undefined).success).map(([k]) => k);
    expect([...js.required].sort()).toEqual(Object.keys(shape).filter((k) => !optional.includes(k)).sort());
  });
});
