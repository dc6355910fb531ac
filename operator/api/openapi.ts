// zod → OpenAPI v3 structural schema (what a CRD's openAPIV3Schema must be). The base is zod 4's own
// JSON Schema output (`z.toJSONSchema`, target openapi-3.0, the input side: a field with a default
// may be omitted); descriptions and the x-kubernetes-* keys come through from zod metadata (cel.ts).
// On top of it only what Kubernetes wants differently:
//   - strict objects lose `additionalProperties: false` (structural schemas forbid it; the API
//     server prunes unknown fields instead); any other object is refused, since pruning would drop
//     what zod lets through;
//   - integers say their OpenAPI format (int32 / int64, as controller-gen writes Go ints) where zod
//     writes the format's range as minimum/maximum: those implicit bounds are dropped;
//   - an object default (`.prefault({})`) is written out in full, because the API server checks a
//     default against the CEL rules without applying the nested defaults first;
//   - a date-time string keeps `format: date-time` (the API server checks it) without zod's own
//     date-time regex;
//   - patterns are RE2 as the API server reads them ("\/" is "/"), and descriptions state scalar
//     defaults (kubectl explain prints no defaults).
// Whatever zod writes outside the structural subset (anyOf, allOf from two patterns, $ref, ...)
// throws, so the CRD never silently loses a constraint.
import { z } from 'zod';

export interface JSONSchemaProps {
  type?: 'object' | 'array' | 'string' | 'integer' | 'number' | 'boolean';
  format?: string;
  description?: string;
  default?: unknown;
  enum?: unknown[];
  pattern?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: boolean;
  exclusiveMaximum?: boolean;
  minItems?: number;
  maxItems?: number;
  maxProperties?: number;
  nullable?: boolean;
  items?: JSONSchemaProps;
  properties?: Record<string, JSONSchemaProps>;
  required?: string[];
  additionalProperties?: JSONSchemaProps;
  'x-kubernetes-validations'?: { rule: string; message: string; fieldPath?: string; reason?: string }[];
  'x-kubernetes-list-type'?: 'atomic' | 'set' | 'map';
  'x-kubernetes-list-map-keys'?: string[];
  'x-kubernetes-preserve-unknown-fields'?: boolean;
  'x-kubernetes-int-or-string'?: boolean;
}

/** The keys a structural schema node may have, in the order they are written. */
const KEY_ORDER = [
  'description',
  'type',
  'format',
  'nullable',
  'enum',
  'minLength',
  'maxLength',
  'pattern',
  'minimum',
  'exclusiveMinimum',
  'maximum',
  'exclusiveMaximum',
  'minItems',
  'maxItems',
  'items',
  'properties',
  'required',
  'additionalProperties',
  'maxProperties',
  'default',
  'x-kubernetes-validations',
  'x-kubernetes-list-type',
  'x-kubernetes-list-map-keys',
  'x-kubernetes-int-or-string',
  'x-kubernetes-preserve-unknown-fields',
] as const satisfies readonly (keyof JSONSchemaProps)[];
const KNOWN_KEYS: ReadonlySet<string> = new Set(KEY_ORDER);

class UnsupportedSchemaError extends Error {
  override readonly name = 'UnsupportedSchemaError';
}

type Json = Record<string, unknown>;
type AnyDef = { type: string; [k: string]: unknown };
/** The ranges zod writes as minimum/maximum for its integer formats. */
const INT_RANGES: Record<string, readonly [number, number]> = {
  int32: [-(2 ** 31), 2 ** 31 - 1],
  safeint: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
};

function defOf(s: z.core.$ZodType): AnyDef {
  return s._zod.def as unknown as AnyDef;
}

/** A JSON Schema path of zod's (["properties", "capture", "items"]) as the field it names: capture[]. */
function fieldName(where: string, path: readonly (string | number)[]): string {
  let out = where;
  for (let i = 0; i < path.length; i++) {
    const p = path[i];
    if (p === 'properties') out = out ? `${out}.${String(path[++i])}` : String(path[++i]);
    else if (p === 'items') out += '[]';
    else if (p === 'additionalProperties') out += '{}';
    else out += `/${String(p)}`;
  }
  return out;
}

/** An integer's OpenAPI format instead of zod's implicit bounds; int64 narrowed to int32 when the bounds fit. */
function integerFormat(def: AnyDef, json: Json): void {
  const range = typeof def.format === 'string' ? INT_RANGES[def.format] : undefined;
  if (!range) return;
  if (json.minimum === range[0]) delete json.minimum;
  if (json.maximum === range[1]) delete json.maximum;
  const [lo, hi] = INT_RANGES.int32!;
  const fits = typeof json.minimum === 'number' && typeof json.maximum === 'number' && json.minimum >= lo && json.maximum <= hi;
  json.format = def.format === 'int32' || fits ? 'int32' : 'int64';
}

/** The post-processing that needs the zod schema; zod calls it on every schema after merging wrappers. */
function kubernetesOverride(where: string) {
  return (ctx: { zodSchema: z.core.$ZodType; jsonSchema: Json; path: (string | number)[] }): void => {
    const def = defOf(ctx.zodSchema);
    const json = ctx.jsonSchema;
    switch (def.type) {
      case 'object': {
        const catchall = def.catchall as z.core.$ZodType | undefined;
        if (!catchall || defOf(catchall).type !== 'never') {
          throw new UnsupportedSchemaError(
            `${fieldName(where, ctx.path)}: objects must be strict (unknown fields are pruned by the API server)`,
          );
        }
        delete json.additionalProperties;
        break;
      }
      case 'number':
        integerFormat(def, json);
        break;
      case 'string': {
        const patterns = ((def.checks ?? []) as z.core.$ZodCheck[]).filter((c) => (c._zod.def as { format?: string }).format === 'regex');
        if (json.format === 'date-time' && patterns.length === 0) delete json.pattern;
        break;
      }
      case 'prefault':
        json.default = z.parse(def.innerType as z.core.$ZodType, def.defaultValue);
        break;
    }
  };
}

/** Checks one node of zod's output against the structural subset and writes it in KEY_ORDER. */
function structural(json: Json, where: string): JSONSchemaProps {
  const unknown = Object.keys(json).filter((k) => !KNOWN_KEYS.has(k));
  if (unknown.length) throw new UnsupportedSchemaError(`${where || '(root)'}: ${unknown.join(', ')} cannot be written in a structural schema`);
  if (typeof json.pattern === 'string') json.pattern = json.pattern.replace(/\\\//g, '/');
  const dflt = json.default;
  if (typeof json.description === 'string' && ['string', 'number', 'boolean'].includes(typeof dflt)) {
    json.description = `${json.description} Default: ${String(dflt)}.`;
  }
  if (json.items) json.items = structural(json.items as Json, `${where}[]`);
  if (json.additionalProperties) json.additionalProperties = structural(json.additionalProperties as Json, `${where}{}`);
  if (json.properties) {
    const props = json.properties as Record<string, Json>;
    json.properties = Object.fromEntries(
      Object.entries(props).map(([k, v]) => [k, structural(v, where ? `${where}.${k}` : k)]),
    );
  }
  const out: Json = {};
  for (const k of KEY_ORDER) if (json[k] !== undefined) out[k] = json[k];
  return out as JSONSchemaProps;
}

/** The structural schema of one zod schema; `where` names it in errors. */
export function convert(schema: z.core.$ZodType, where = ''): JSONSchemaProps {
  const json = z.toJSONSchema(schema, {
    target: 'openapi-3.0',
    io: 'input',
    unrepresentable: 'throw',
    cycles: 'throw',
    reused: 'inline',
    override: kubernetesOverride(where),
  }) as Json;
  delete json.$schema; // none with openapi-3.0; a CRD schema may not have one
  return structural(json, where);
}

/** Every property path without a description (structural check for `kubectl explain`). */
export function undescribed(schema: JSONSchemaProps, path = ''): string[] {
  const out: string[] = [];
  for (const [key, child] of Object.entries(schema.properties ?? {})) {
    const p = path ? `${path}.${key}` : key;
    if (!child.description) out.push(p);
    out.push(...undescribed(child, p));
  }
  if (schema.items) out.push(...undescribed(schema.items, `${path}[]`));
  return out;
}
