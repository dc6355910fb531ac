// The NATS connection of an exporter: every server of the config, credentials and TLS from
// files, reconnecting for ever (the spool holds batches meanwhile).
import { connect, type NatsConnection } from '@nats-io/transport-node';

import { loadNatsAuth, type NatsCredentialFiles } from './credentials.js';
import { NatsConnectError } from './errors.js';

export interface ConnectSettings {
  servers: string[];
  credentials: NatsCredentialFiles;
  clientName: string;
  connectTimeoutMs: number;
}

/** A server URL with any user:password@ removed, for messages. */
export function redactUrl(url: string): string {
  return url.replace(/^([a-z]+:\/\/)[^/@]*@/i, '$1');
}

export async function connectNats(s: ConnectSettings): Promise<NatsConnection> {
  const auth = loadNatsAuth(s.credentials);
  try {
    return await connect({
      servers: s.servers,
      name: s.clientName,
      ...(auth.authenticator ? { authenticator: auth.authenticator } : {}),
      ...(auth.tls ? { tls: auth.tls } : {}),
      timeout: s.connectTimeoutMs,
      reconnect: true,
      maxReconnectAttempts: -1,
      reconnectTimeWait: 500,
      reconnectJitter: 250,
      reconnectJitterTLS: 500,
      // a server cut off the network (no RST, no FIN) is given up after 2 unanswered pings, 10-15 s,
      // and the client moves to another server of the cluster; the spool holds the batches meanwhile
      pingInterval: 5_000,
      maxPingOut: 2,
    });
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    throw new NatsConnectError(`cannot connect to NATS (${s.servers.map(redactUrl).join(', ')}): ${why}`, { cause: err });
  }
}
