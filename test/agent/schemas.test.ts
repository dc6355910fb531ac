// The JSON Schemas in agent/schemas and the zod schemas the tests parse messages with describe
// the same fields (a drift between them fails here).
import { readFileSync } from 'node:fs';
import path from 'node:path';

import { describe, expect, it } from 'vitest';

import { packageRoot } from '../../agent/engine/binding.js';
import { AlertMessageSchema, FlowBatchSchema } from '../../agent/export/payload-schemas.js';

function jsonSchema(name: string): { required: string[]; properties: Record<string, unknown> } {
  return JSON.parse(readFileSync(path.join(packageRoot(), 'agent', 'schemas', name), 'utf8'));
}

describe('published schemas', () => {
  it('flow-batch.v1.json matches the zod FlowBatchSchema', () => {
    const js = jsonSchema('flow-batch.v1.json');
    const keys = Object.keys(FlowBatchSchema.shape);
    expect(Object.keys(js.properties).sort()).toEqual([...keys].sort());
    expect([...js.required].sort()).toEqual([...keys].sort());
  });

  it('alert.v1.json matches the zod AlertMessageSchema', () => {
    const js = jsonSchema('alert.v1.json');
    const shape = AlertMessageSchema.shape;
    expect(Object.keys(js.properties).sort()).toEqual(Object.keys(shape).sort());
    const optional = Object.entries(shape).filter(([, v]) => v.safeParse(undefined).success).map(([k]) => k);
    expect([...js.required].sort()).toEqual(Object.keys(shape).filter((k) => !optional.includes(k)).sort());
  });
});
