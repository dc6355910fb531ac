// zod → OpenAPI v3 structural schema (what a CRD's openAPIV3Schema must be), for the subset of
// zod the SnifferPolicy schema uses: strict objects, strings (enum, pattern, length, date-time),
// integers (bounds), booleans, arrays (length), string records (maxProperties), optional and
// default/prefault wrappers, descriptions and x-kubernetes-* keys from zod metadata. Anything
// else throws, so the CRD never silently loses a constraint.
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
  items?: JSONSchemaProps;
  properties?: Record<string, JSONSchemaProps>;
  required?: string[];
  additionalProperties?: JSONSchemaProps;
  'x-kubernetes-validations'?: { rule: string; message: string; fieldPath?: string; reason?: string }[];
  'x-kubernetes-list-type'?: 'atomic' | 'set' | 'map';
  'x-kubernetes-list-map-keys'?: string[];
  'x-kubernetes-preserve-unknown-fields'?: boolean;
}

/** Metadata keys copied into the schema as they are. */
const PASS_THROUGH_META = [
  'x-kubernetes-validations',
  'x-kubernetes-list-type',
  'x-kubernetes-list-map-keys',
  'maxProperties',
] as const;

type AnyDef = { type: string; [k: string]: unknown };
type CheckDef = { check: string; [k: string]: unknown };

class UnsupportedSchemaError extends Error {
  override readonly name = 'UnsupportedSchemaError';
}

function defOf(s: z.core.$ZodType): AnyDef {
  return s._zod.def as unknown as AnyDef;
}

function checksOf(s: z.core.$ZodType): CheckDef[] {
  const checks = (defOf(s).checks ?? []) as z.core.$ZodCheck[];
  return checks.map((c) => c._zod.def as unknown as CheckDef);
}

/** Wrappers around a schema: their metadata, default, and whether the field may be omitted. */
interface Unwrapped {
  core: z.core.$ZodType;
  meta: Record<string, unknown>;
  optional: boolean;
  default?: unknown;
}

function unwrap(schema: z.core.$ZodType): Unwrapped {
  const meta: Record<string, unknown> = {};
  let optional = false;
  let dflt: unknown;
  let s = schema;
  for (;;) {
    // Outer metadata wins over inner (a field's description over its type's).
    for (const [k, v] of Object.entries(z.globalRegistry.get(s) ?? {})) if (!(k in meta)) meta[k] = v;
    const def = defOf(s);
    if (def.type === 'optional') optional = true;
    else if (def.type === 'default') {
      optional = true;
      if (dflt === undefined) dflt = structuredClone(def.defaultValue);
    } else if (def.type === 'prefault') {
      // The API server checks a default against the CEL rules without applying nested defaults
      // first, so an object default is written out in full: the inner schema's parse of it.
      optional = true;
      if (dflt === undefined) dflt = z.parse(def.innerType as z.core.$ZodType, def.defaultValue);
    } else if (def.type !== 'readonly') break;
    s = def.innerType as z.core.$ZodType;
  }
  return { core: s, meta, optional, ...(dflt === undefined ? {} : { default: dflt }) };
}

function stringSchema(s: z.core.$ZodType, where: string): JSONSchemaProps {
  const out: JSONSchemaProps = { type: 'string' };
  const format = defOf(s).format;
  if (format === 'datetime') out.format = 'date-time';
  else if (format !== undefined) throw new UnsupportedSchemaError(`${where}: string format ${String(format)}`);
  for (const c of checksOf(s)) {
    if (c.check === 'min_length') out.minLength = c.minimum as number;
    else if (c.check === 'max_length') out.maxLength = c.maximum as number;
    else if (c.check === 'string_format' && c.format === 'regex') {
      if (out.pattern) throw new UnsupportedSchemaError(`${where}: more than one pattern`);
      // RegExp#source escapes "/", which RE2 (the API server) reads the same without the backslash.
      out.pattern = (c.pattern as RegExp).source.replace(/\\\//g, '/');
    } else if (c.check === 'string_format' && c.format === 'datetime') out.format = 'date-time';
    else throw new UnsupportedSchemaError(`${where}: string check ${c.check}/${String(c.format)}`);
  }
  return out;
}

function numberSchema(s: z.core.$ZodType, where: string): JSONSchemaProps {
  const def = defOf(s);
  const out: JSONSchemaProps =
    def.format === 'int32'
      ? { type: 'integer', format: 'int32' }
      : def.format === 'safeint'
        ? { type: 'integer', format: 'int64' }
        : { type: 'number' };
  for (const c of checksOf(s)) {
    if (c.check === 'greater_than') {
      out.minimum = c.value as number;
      if (!c.inclusive) out.exclusiveMinimum = true;
    } else if (c.check === 'less_than') {
      out.maximum = c.value as number;
      if (!c.inclusive) out.exclusiveMaximum = true;
    } else if (c.check !== 'number_format') throw new UnsupportedSchemaError(`${where}: number check ${c.check}`);
  }
  // A safe integer whose bounds fit 32 bits is documented as int32 (as controller-gen does for Go int32).
  const INT32 = 2 ** 31;
  if (out.format === 'int64' && out.minimum !== undefined && out.maximum !== undefined && out.minimum >= -INT32 && out.maximum < INT32) {
    out.format = 'int32';
  }
  return out;
}

function arraySchema(s: z.core.$ZodType, where: string): JSONSchemaProps {
  const out: JSONSchemaProps = { type: 'array' };
  for (const c of checksOf(s)) {
    if (c.check === 'min_length') out.minItems = c.minimum as number;
    else if (c.check === 'max_length') out.maxItems = c.maximum as number;
    else if (c.check !== 'custom') throw new UnsupportedSchemaError(`${where}: array check ${c.check}`);
  }
  out.items = convert(defOf(s).element as z.core.$ZodType, `${where}[]`);
  return out;
}

function objectSchema(s: z.core.$ZodType, where: string): JSONSchemaProps {
  const def = defOf(s);
  const catchall = def.catchall as z.core.$ZodType | undefined;
  if (catchall && defOf(catchall).type !== 'never') {
    throw new UnsupportedSchemaError(`${where}: objects must be strict (unknown fields are pruned by the API server)`);
  }
  const properties: Record<string, JSONSchemaProps> = {};
  const required: string[] = [];
  for (const [key, child] of Object.entries(def.shape as Record<string, z.core.$ZodType>)) {
    properties[key] = convert(child, where ? `${where}.${key}` : key);
    if (!unwrap(child).optional) required.push(key);
  }
  return { type: 'object', properties, ...(required.length ? { required } : {}) };
}

function coreSchema(s: z.core.$ZodType, where: string): JSONSchemaProps {
  const def = defOf(s);
  switch (def.type) {
    case 'object':
      return objectSchema(s, where);
    case 'string':
      return stringSchema(s, where);
    case 'number':
      return numberSchema(s, where);
    case 'boolean':
      return { type: 'boolean' };
    case 'enum':
      return { type: 'string', enum: Object.values(def.entries as Record<string, string>) };
    case 'literal':
      return { type: 'string', enum: [...(def.values as string[])] };
    case 'array':
      return arraySchema(s, where);
    case 'record': {
      if (defOf(def.keyType as z.core.$ZodType).type !== 'string') throw new UnsupportedSchemaError(`${where}: record keys must be strings`);
      return { type: 'object', additionalProperties: convert(def.valueType as z.core.$ZodType, `${where}{}`) };
    }
    default:
      throw new UnsupportedSchemaError(`${where}: zod type ${def.type} is not supported`);
  }
}

/** The structural schema of one zod schema; `where` names it in errors. */
export function convert(schema: z.core.$ZodType, where = ''): JSONSchemaProps {
  const { core, meta, default: dflt } = unwrap(schema);
  const out: JSONSchemaProps = {};
  if (typeof meta.description === 'string') {
    // kubectl explain does not print defaults: say them in the description.
    const scalarDefault = typeof dflt === 'string' || typeof dflt === 'number' || typeof dflt === 'boolean';
    out.description = scalarDefault ? `${meta.description} Default: ${String(dflt)}.` : meta.description;
  }
  Object.assign(out, coreSchema(core, where));
  if (dflt !== undefined) out.default = dflt;
  for (const key of PASS_THROUGH_META) if (meta[key] !== undefined) Object.assign(out, { [key]: meta[key] });
  return out;
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
