// CEL validation rules that live in the zod schema: each rule is written twice, once in CEL for
// the API server (`x-kubernetes-validations` in the generated CRD) and once in TypeScript for zod,
// side by side, so `kubectl apply` and the operator's own parse refuse the same policies with the
// same message. test/operator/policy-examples.ts holds the examples both are tested against.
import { z } from 'zod';

export type CelReason = 'FieldValueInvalid' | 'FieldValueForbidden' | 'FieldValueRequired' | 'FieldValueDuplicate';

/** One entry of `x-kubernetes-validations`. */
export interface CelRule {
  rule: string;
  message: string;
  /** Where the API server reports the error, relative to the object the rule sits on (".hugepages"). */
  fieldPath?: string;
  reason?: CelReason;
}

/** A CEL rule and the same rule in TypeScript. */
export interface CheckedRule<T> extends CelRule {
  holds: (value: T) => boolean;
}

// The keys zod's metadata may carry for the CRD. z.toJSONSchema copies metadata into its output as
// it is, so openapi.ts writes them into the schema without a conversion of its own.
declare module 'zod' {
  interface GlobalMeta {
    'x-kubernetes-validations'?: CelRule[];
    'x-kubernetes-list-type'?: 'atomic' | 'set' | 'map';
    'x-kubernetes-list-map-keys'?: string[];
    maxProperties?: number;
  }
}

function pathOf(fieldPath: string | undefined): string[] {
  return fieldPath ? fieldPath.replace(/^\./, '').split('.') : [];
}

/** Attaches rules to an object schema: a zod refinement and the CRD's `x-kubernetes-validations`. */
export function withRules<S extends z.ZodObject>(schema: S, rules: CheckedRule<z.output<S>>[]): S {
  const refined = schema.superRefine((value, ctx) => {
    for (const r of rules) {
      if (!r.holds(value)) ctx.addIssue({ code: 'custom', message: r.message, path: pathOf(r.fieldPath), input: value });
    }
  });
  const cel = rules.map(({ rule, message, fieldPath, reason }): CelRule => ({
    rule,
    message,
    ...(fieldPath ? { fieldPath } : {}),
    ...(reason ? { reason } : {}),
  }));
  return refined.meta({ 'x-kubernetes-validations': cel }) as S;
}

/** An array whose items must be unique (`x-kubernetes-list-type: set` on the API server). */
export function setOf<T extends z.ZodType>(item: T, max: number) {
  return z
    .array(item)
    .min(1)
    .max(max)
    .refine((xs) => new Set(xs).size === xs.length, { message: 'must not contain duplicates' })
    .meta({ 'x-kubernetes-list-type': 'set' });
}

/** A string → string map with at most `max` entries (`maxProperties`). */
export function boundedRecord<K extends z.ZodType<string>, V extends z.ZodType>(key: K, value: V, max: number) {
  return z
    .record(key, value)
    .refine((r) => Object.keys(r).length <= max, { message: `must have at most ${max} entries` })
    .meta({ maxProperties: max });
}
