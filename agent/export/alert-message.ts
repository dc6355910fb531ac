// One alert event of the native detectors (agent/engine/alert-event.ts) as the message consumers
// read (agent/schemas/alert.v1.json): the event plus node, policy, boot id, a sequence number and
// the schema version, with times as RFC 3339 strings like the flow records'.
import type { AlertEvent } from '../engine/alert-event.js';
import type { OutboundMessage } from './message.js';

export const ALERT_SCHEMA = 'tapline.alert.v1';

export interface AlertContext {
  node: string;
  policy: { namespace: string; name: string };
  bootId: string;
  subject: string;
}

export class AlertEncoder {
  private seq = 0;

  constructor(private readonly ctx: AlertContext) {}

  get sequence(): number {
    return this.seq;
  }

  encode(event: AlertEvent): OutboundMessage {
    const seq = this.seq++;
    const c = this.ctx;
    const body = {
      schema: ALERT_SCHEMA,
      node: c.node,
      policy: c.policy,
      bootId: c.bootId,
      seq,
      id: event.id,
      type: event.type,
      state: event.state,
      key: event.key,
      metric: event.metric,
      observed: event.observed,
      threshold: event.threshold,
      windowMs: event.windowMs,
      firstSeen: new Date(event.firstSeenMs).toISOString(),
      lastSeen: new Date(event.lastSeenMs).toISOString(),
      ...(event.top ? { top: event.top } : {}),
    };
    return {
      kind: 'alerts',
      subject: c.subject,
      msgId: `${c.node}:${c.bootId}:alert:${event.id}:${event.state}:${seq}`,
      schema: ALERT_SCHEMA,
      records: 1,
      payload: Buffer.from(JSON.stringify(body)),
    };
  }
}
