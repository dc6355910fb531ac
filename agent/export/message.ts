// One message on its way to JetStream: subject, the deterministic Nats-Msg-Id, the schema it
// follows, how many flow records (or alerts) it carries, and the encoded payload.
import { headers, type MsgHdrs } from '@nats-io/transport-node';

export type MessageKind = 'flows' | 'alerts';

export interface OutboundMessage {
  kind: MessageKind;
  subject: string;
  /** `${node}:${bootId}:flows:${seq}` or `${node}:${bootId}:alert:${id}:${state}:${seq}`: a resend keeps it. */
  msgId: string;
  /** e.g. tapline.flow-batch.v1 (the Tapline-Schema header and the payload's `schema`). */
  schema: string;
  /** Flow records (or 1 for an alert) in the payload. */
  records: number;
  payload: Uint8Array;
}

export const SCHEMA_HEADER = 'Tapline-Schema';
export const RECORDS_HEADER = 'Tapline-Records';

export function messageHeaders(m: OutboundMessage): MsgHdrs {
  const h = headers();
  h.set(SCHEMA_HEADER, m.schema);
  h.set(RECORDS_HEADER, String(m.records));
  return h;
}
