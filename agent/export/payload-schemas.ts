// The published payloads as zod schemas, for consumers (and the tests) that read them back:
// agent/schemas/flow-record.v2.json, flow-batch.v2.json and alert.v1.json in TypeScript.
import { z } from 'zod';

import { AlertEventSchema } from '../engine/alert-event.js';
import { FlowRecordSchema } from '../engine/flow-record.js';
import { EndpointSchema } from '../identity/endpoint.js';
import { ALERT_SCHEMA } from './alert-message.js';
import { ENRICHMENT_STATES, FLOW_BATCH_SCHEMA } from './flow-batch.js';

const PolicyRefSchema = z.strictObject({ namespace: z.string().min(1), name: z.string().min(1) });

/** An exported flow record: the engine's record plus each end's identity when the batch is enriched. */
export const ExportedFlowRecordSchema = FlowRecordSchema.extend({
  src: EndpointSchema.optional(),
  dst: EndpointSchema.optional(),
});

export const FlowBatchSchema = z
  .strictObject({
    schema: z.literal(FLOW_BATCH_SCHEMA),
    node: z.string().min(1),
    policy: PolicyRefSchema,
    bootId: z.string().regex(/^[0-9a-f]{16}$/),
    seq: z.int().nonnegative(),
    count: z.int().positive(),
    enrichment: z.enum(ENRICHMENT_STATES),
    records: z.array(ExportedFlowRecordSchema).min(1),
  })
  .refine((b) => b.count === b.records.length, { message: 'count must equal the number of records', path: ['count'] })
  .refine((b) => b.enrichment !== 'on' || b.records.every((r) => r.src !== undefined && r.dst !== undefined), {
    message: 'an enriched batch has src and dst on every record',
    path: ['records'],
  });

/** An engine alert event (agent/engine/alert-event.ts) with its times as RFC 3339 strings, plus where it came from. */
export const AlertMessageSchema = AlertEventSchema.omit({ firstSeenMs: true, lastSeenMs: true }).extend({
  schema: z.literal(ALERT_SCHEMA),
  node: z.string().min(1),
  policy: PolicyRefSchema,
  bootId: z.string().regex(/^[0-9a-f]{16}$/),
  seq: z.int().nonnegative(),
  firstSeen: z.iso.datetime(),
  lastSeen: z.iso.datetime(),
});

export type FlowBatch = z.output<typeof FlowBatchSchema>;
export type ExportedFlowRecord = z.output<typeof ExportedFlowRecordSchema>;
export type AlertMessage = z.output<typeof AlertMessageSchema>;
