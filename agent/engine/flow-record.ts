// The engine's flow record (agent/schemas/flow-record.v2.json without the agent's src/dst
// identities) as a zod schema, for consumers that parse the engine's JSON lines. The TCP
// latency fields are absent, not zero, when the engine did not measure them.
import { z } from 'zod';

import { END_REASONS } from './packed-record.js';

const micros = z.number().int().nonnegative();

export const FlowRecordSchema = z
  .object({
    srcAddr: z.union([z.ipv4(), z.ipv6()]),
    dstAddr: z.union([z.ipv4(), z.ipv6()]),
    srcPort: z.number().int().min(0).max(65535),
    dstPort: z.number().int().min(0).max(65535),
    proto: z.number().int().min(0).max(255),
    ipVersion: z.union([z.literal(4), z.literal(6)]),
    vlan: z.number().int().min(0).max(4095).nullable(),
    packets: z.number().int().nonnegative(),
    bytes: z.number().int().nonnegative(),
    revPackets: z.number().int().nonnegative(),
    revBytes: z.number().int().nonnegative(),
    tcpFlags: z.number().int().min(0).max(255),
    revTcpFlags: z.number().int().min(0).max(255),
    start: z.iso.datetime({ offset: false, precision: undefined }),
    end: z.iso.datetime({ offset: false, precision: undefined }),
    endReason: z.enum(END_REASONS),
    communityId: z.string().regex(/^1:[A-Za-z0-9+/]{27}=$/),
    tcpHandshakeServerUs: micros.optional(),
    tcpHandshakeClientUs: micros.optional(),
    tcpRttMinUs: micros.optional(),
    tcpRttSmoothedUs: micros.optional(),
    tcpRetransmits: z.number().int().nonnegative().optional(),
    revTcpRetransmits: z.number().int().nonnegative().optional(),
  })
  .strict();

export type FlowRecord = z.infer<typeof FlowRecordSchema>;

/** Parses a batch of JSON lines into records, each checked against the schema. */
export function parseJsonLines(data: Buffer | string): FlowRecord[] {
  const text = typeof data === 'string' ? data : data.toString('utf8');
  const out: FlowRecord[] = [];
  for (const line of text.split('\n')) {
    if (line.length > 0) out.push(FlowRecordSchema.parse(JSON.parse(line)));
  }
  return out;
}
