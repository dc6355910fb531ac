// Credentials and TLS for the NATS connection, read from files (mounted from Secrets): a .creds
// file, user and password, a token, or an NKey seed. The contents go into the client's
// authenticator and nowhere else; errors name the config field and the path only.
import { readFileSync } from 'node:fs';

import { fromSeed } from '@nats-io/nkeys';
import {
  credsAuthenticator,
  nkeyAuthenticator,
  tokenAuthenticator,
  usernamePasswordAuthenticator,
  type Authenticator,
  type TlsOptions,
} from '@nats-io/transport-node';

import type { NatsAuthConfig } from '../config/schema.js';
import { CredentialsError } from './errors.js';

export interface NatsCredentialFiles {
  /** A NATS .creds file (user JWT and NKey seed). */
  credentialsFile?: string | undefined;
  auth?: NatsAuthConfig | undefined;
  tls?: { certFile: string; keyFile: string; caFile?: string | undefined } | undefined;
}

export interface NatsAuthOptions {
  authenticator?: Authenticator;
  tls?: TlsOptions;
}

function readSecret(field: string, path: string): string {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new CredentialsError(`${field}: cannot read ${path} (${code === 'ENOENT' ? 'no such file' : code ?? 'error'})`, field, {
      cause: new Error(code ?? 'read error'),
    });
  }
  const value = text.replace(/\r?\n$/, '');
  if (value.length === 0) throw new CredentialsError(`${field}: ${path} is empty`, field);
  return value;
}

function checkReadable(field: string, path: string): void {
  readSecret(field, path);
}

/** Builds the authenticator and TLS options; throws CredentialsError naming the field. */
export function loadNatsAuth(files: NatsCredentialFiles): NatsAuthOptions {
  const out: NatsAuthOptions = {};
  if (files.credentialsFile) {
    const text = readSecret('export.credentialsFile', files.credentialsFile);
    if (!/-----BEGIN NATS USER JWT-----/.test(text) || !/-----BEGIN USER NKEY SEED-----/.test(text)) {
      throw new CredentialsError(`export.credentialsFile: ${files.credentialsFile} is not a NATS credentials file (user JWT and NKey seed)`, 'export.credentialsFile');
    }
    out.authenticator = credsAuthenticator(new TextEncoder().encode(text));
  }
  const a = files.auth;
  if (a?.method === 'userPassword') {
    out.authenticator = usernamePasswordAuthenticator(
      readSecret('export.auth.usernameFile', a.usernameFile),
      readSecret('export.auth.passwordFile', a.passwordFile),
    );
  } else if (a?.method === 'token') {
    out.authenticator = tokenAuthenticator(readSecret('export.auth.tokenFile', a.tokenFile));
  } else if (a?.method === 'nkey') {
    const seed = readSecret('export.auth.seedFile', a.seedFile).trim();
    try {
      fromSeed(new TextEncoder().encode(seed));
      if (!seed.startsWith('SU')) throw new Error('not a user seed');
    } catch {
      // the seed itself never goes into the message or the cause
      throw new CredentialsError(`export.auth.seedFile: ${a.seedFile} does not hold an NKey user seed (SU...)`, 'export.auth.seedFile');
    }
    out.authenticator = nkeyAuthenticator(new TextEncoder().encode(seed));
  }
  if (files.tls) {
    const t = files.tls;
    checkReadable('export.tls.certFile', t.certFile);
    checkReadable('export.tls.keyFile', t.keyFile);
    out.tls = { certFile: t.certFile, keyFile: t.keyFile };
    if (t.caFile !== undefined) {
      try {
        checkReadable('export.tls.caFile', t.caFile);
        out.tls.caFile = t.caFile;
      } catch (err) {
        // A kubernetes.io/tls Secret may have no ca.crt: the system's CAs verify the server then.
        if (!(err instanceof CredentialsError && /no such file/.test(err.message))) throw err;
      }
    }
  }
  return out;
}
