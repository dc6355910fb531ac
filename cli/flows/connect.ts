// Where `tapline observe` and `tapline top` read from: `--nats URL [--stream S] [--subject-prefix P]`
// and the NATS credentials and TLS as the agent takes them (agent config `export.credentialsFile`,
// `export.auth.*File`, `export.tls.*File`), from files only: never a secret in the URL or on the
// command line. The connection itself is the agent's client with the agent's credential loading
// (agent/export/credentials.ts); only the bounded first connect differs.
import { existsSync } from 'node:fs';
import path from 'node:path';

import { connect, type NatsConnection } from '@nats-io/transport-node';
import { z } from 'zod';

import { loadNatsAuth, type NatsCredentialFiles } from '../../agent/export/credentials.js';
import { redactUrl } from '../../agent/export/connection.js';
import { CredentialsError, NatsConnectError } from '../../agent/export/errors.js';
import { UsageError } from '../usage-error.js';

/** node:util parseArgs options for the source. */
export const SOURCE_OPTIONS = {
  nats: { type: 'string' },
  stream: { type: 'string' },
  'subject-prefix': { type: 'string' },
  creds: { type: 'string' },
  'username-file': { type: 'string' },
  'password-file': { type: 'string' },
  'token-file': { type: 'string' },
  'seed-file': { type: 'string' },
  'tls-cert': { type: 'string' },
  'tls-key': { type: 'string' },
  'tls-ca': { type: 'string' },
} as const;

export const SOURCE_USAGE = `source:
      --nats URL           NATS server(s), nats://host:4222 (several separated by
                           commas; tls:// for TLS); required
      --stream NAME        the JetStream stream (default TAPLINE)
      --subject-prefix P   subjects P.NAMESPACE.POLICY.{flows,alerts}.NODE
                           (default tapline)
      --creds FILE         a NATS .creds file (user JWT and NKey seed)
      --username-file F, --password-file F
                           user and password, each read from a file
      --token-file F       a token read from a file
      --seed-file F        an NKey user seed (SU...) read from a file
      --tls-cert F, --tls-key F
                           client certificate and key (PEM)
      --tls-ca F           CA that signed the server's certificate (PEM)
`;

export interface SourceOptions {
  servers: string[];
  stream: string;
  subjectPrefix: string;
  credentials: NatsCredentialFiles;
  /** A CA without a client certificate (the agent's config always pairs them). */
  caOnly?: string | undefined;
}

const UrlSchema = z
  .string()
  .regex(/^(nats|tls|ws|wss):\/\/\S+$/, { error: '--nats: must be a URL like nats://host:4222 (several separated by commas)' })
  .refine((u) => !/^[a-z]+:\/\/[^/@]*@/.test(u), { error: '--nats: credentials in the URL are not accepted (use --creds or the --*-file flags)' });

type SourceFlags = { [K in keyof typeof SOURCE_OPTIONS]?: string | undefined };

const abs = (p: string): string => path.resolve(p);

/** The source from parsed flags. Throws UsageError naming the flag. */
export function sourceOptions(v: SourceFlags): SourceOptions {
  if (v.nats === undefined) throw new UsageError('--nats URL is required');
  const servers = v.nats.split(',');
  for (const s of servers) {
    const r = UrlSchema.safeParse(s);
    if (!r.success) throw new UsageError(r.error.issues[0]?.message ?? '--nats: invalid URL');
  }
  const stream = v.stream ?? 'TAPLINE';
  if (!/^[A-Za-z0-9_-]+$/.test(stream)) throw new UsageError('--stream: letters, digits, - and _ only');
  const subjectPrefix = v['subject-prefix'] ?? 'tapline';
  if (!/^[^.*>\s]+(\.[^.*>\s]+)*$/.test(subjectPrefix)) throw new UsageError('--subject-prefix: must be a NATS subject without wildcards');

  const credentials: NatsCredentialFiles = {};
  const methods = [v.creds && '--creds', (v['username-file'] ?? v['password-file']) && '--username-file/--password-file', v['token-file'] && '--token-file', v['seed-file'] && '--seed-file'].filter(Boolean);
  if (methods.length > 1) throw new UsageError(`${methods.join(', ')}: one way to authenticate at a time`);
  if (v.creds) credentials.credentialsFile = abs(v.creds);
  if (v['username-file'] !== undefined || v['password-file'] !== undefined) {
    if (!v['username-file'] || !v['password-file']) throw new UsageError('--username-file and --password-file: both or neither');
    credentials.auth = { method: 'userPassword', usernameFile: abs(v['username-file']), passwordFile: abs(v['password-file']) };
  }
  if (v['token-file']) credentials.auth = { method: 'token', tokenFile: abs(v['token-file']) };
  if (v['seed-file']) credentials.auth = { method: 'nkey', seedFile: abs(v['seed-file']) };
  let caOnly: string | undefined;
  if (v['tls-cert'] !== undefined || v['tls-key'] !== undefined) {
    if (!v['tls-cert'] || !v['tls-key']) throw new UsageError('--tls-cert and --tls-key: both or neither');
    credentials.tls = { certFile: abs(v['tls-cert']), keyFile: abs(v['tls-key']), ...(v['tls-ca'] ? { caFile: abs(v['tls-ca']) } : {}) };
  } else if (v['tls-ca']) {
    caOnly = abs(v['tls-ca']);
  }
  return { servers, stream, subjectPrefix, credentials, caOnly };
}

/** The agent's config field names in credential errors become this command's flags. */
const FLAG_OF_FIELD: Record<string, string> = {
  'export.credentialsFile': '--creds',
  'export.auth.usernameFile': '--username-file',
  'export.auth.passwordFile': '--password-file',
  'export.auth.tokenFile': '--token-file',
  'export.auth.seedFile': '--seed-file',
  'export.tls.certFile': '--tls-cert',
  'export.tls.keyFile': '--tls-key',
  'export.tls.caFile': '--tls-ca',
};

/**
 * Connects once, waiting at most connectTimeoutMs for the first server to answer; throws
 * NatsConnectError (unreachable, refused) or CredentialsError (a file, naming its flag).
 * `follow`: reconnect for ever after that, as a long-running reader should.
 */
export async function connectSource(o: SourceOptions, clientName: string, follow: boolean, connectTimeoutMs = 5000): Promise<NatsConnection> {
  let auth: ReturnType<typeof loadNatsAuth>;
  try {
    auth = loadNatsAuth(o.credentials);
  } catch (err) {
    if (err instanceof CredentialsError) {
      const flag = FLAG_OF_FIELD[err.field] ?? err.field;
      throw new CredentialsError(err.message.replace(err.field, flag), flag, { cause: err });
    }
    throw err;
  }
  if (o.caOnly !== undefined) {
    if (!existsSync(o.caOnly)) throw new CredentialsError(`--tls-ca: cannot read ${o.caOnly} (no such file)`, '--tls-ca');
    auth.tls = { caFile: o.caOnly };
  }
  try {
    return await connect({
      servers: o.servers,
      name: clientName,
      ...(auth.authenticator ? { authenticator: auth.authenticator } : {}),
      ...(auth.tls ? { tls: auth.tls } : {}),
      timeout: connectTimeoutMs,
      reconnect: follow,
      maxReconnectAttempts: follow ? -1 : 0,
      reconnectTimeWait: 1000,
    });
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    throw new NatsConnectError(`cannot connect to NATS (${o.servers.map(redactUrl).join(', ')}): ${why}`, { cause: err });
  }
}
