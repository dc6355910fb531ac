// The published payloads as zod schemas, for consumers (and the tests) that read them back:
// agent/schemas/flow-batch.v1.json and agent/schemas/alert.v1.json in TypeScript.
import { z } from 'zod';

import { ALERT_STATES, ALERT_TYPES, AlertMetricSchema, HeavyHitterSchema } from '../engine/alert-event.js';
import { FlowRecordSchema } from '../engine/flow-record.js';
import { ALERT_SCHEMA } from './alert-message.js';
import { FLOW_BATCH_SCHEMA } from './flow-batch.js';

const PolicyRefSchema = z.strictObject({ namespace: z.string().min(1), name: z.string().min(1) });

export const FlowBatchSchema = z
  .strictObject({
    schema: z.literal(FLOW_BATCH_SCHEMA),
    node: z.string().min(1),
    policy: PolicyRefSchema,
    bootId: z.string().regex(/^[0-9a-f]{16}$/),
    seq: z.int().nonnegative(),
    count: z.int().positive(),
    records: z.array(FlowRecordSchema).min(1),
  })
  .refine((b) => b.count === b.records.length, { message: 'count must equal the number of records', path: ['count'] });

export const AlertMessageSchema = z.strictObject({
  schema: z.literal(ALERT_SCHEMA),
  node: z.string().min(1),
  policy: PolicyRefSchema,
  bootId: z.string().regex(/^[0-9a-f]{16}$/),
  seq: z.int().nonnegative(),
  id: z.string().min(1),
  type: z.enum(ALERT_TYPES),
  state: z.enum(ALERT_STATES),
  key: z.strictObject({ src: z.string().optional(), dst: z.string().optional() }),
  metric: AlertMetricSchema,
  observed: z.number().nonnegative(),
  threshold: z.number().nonnegative(),
  windowMs: z.int().positive(),
  firstSeen: z.iso.datetime(),
  lastSeen: z.iso.datetime(),
  top: z.array(HeavyHitterSchema).optional(),
});

export type FlowBatch = z.output<typeof FlowBatchSchema>;
export type AlertMessage = z.output<typeof AlertMessageSchema>;
