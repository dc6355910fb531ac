// Credentials and TLS from files against a real nats-server that requires them; secrets never
// appear in logs or error messages.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { createUser } from '@nats-io/nkeys';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

import { isCredentialsError, isNatsConnectError } from '../../agent/export/errors.js';
import { Exporter } from '../../agent/export/exporter.js';
import { NATS_BUILD_TIMEOUT_MS, NatsTestServer, freePort, natsServerBinary } from '../nats/server.js';
import { agentConfig, writeConfig } from './support/agent-config.js';
import { runAgentToEnd } from './support/agent-process.js';
import { capturingLogger, testSettings } from './support/export-settings.js';
import { makePki, type TestPki } from './support/tls.js';

const PASSWORD = 'pw-Zq8v3LmT0p';
const TOKEN = 'tok-Hk2sD9xQw7';
let dir: string;
const servers: NatsTestServer[] = [];

beforeAll(async () => {
  await natsServerBinary();
  dir = mkdtempSync(path.join(tmpdir(), 'tapline-creds-'));
}, NATS_BUILD_TIMEOUT_MS);
afterEach(async () => {
  for (const s of servers.splice(0)) await s.cleanup();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function secretFile(name: string, content: string): string {
  const f = path.join(dir, name);
  writeFileSync(f, `${content}\n`, { mode: 0o600 });
  return f;
}

async function server(opts: Parameters<typeof NatsTestServer.start>[0]): Promise<NatsTestServer> {
  const s = await NatsTestServer.start(opts);
  servers.push(s);
  return s;
}

const line = Buffer.from(
  '{"srcAddr":"10.0.0.1","dstAddr":"10.0.0.2","srcPort":1,"dstPort":2,"proto":17,"ipVersion":4,"vlan":null,"packets":1,"bytes":40,"revPackets":0,"revBytes":0,"tcpFlags":0,"revTcpFlags":0,"start":"2024-01-01T00:00:00Z","end":"2024-01-01T00:00:00Z","endReason":"idle","communityId":"1:AAAAAAAAAAAAAAAAAAAAAAAAAAA="}\n',
);

/** Connects, publishes one record, flushes: what a working credential allows. */
async function publishOne(x: Exporter): Promise<void> {
  x.publishFlows(line);
  const r = await x.flush(10_000);
  await x.close();
  expect(r.delivered).toBe(true);
  expect(x.stats().publishedRecords.flows).toBe(1);
}

describe('credentials from files', () => {
  it('user and password: works; a wrong password is refused without the password in the error or the log', async () => {
    const s = await server({ auth: { user: 'tapline', password: PASSWORD } });
    const { log, lines } = capturingLogger('trace');
    const good = { method: 'userPassword' as const, usernameFile: secretFile('user', 'tapline'), passwordFile: secretFile('pass', PASSWORD) };
    await publishOne(await Exporter.open(testSettings(s.url, { credentials: { auth: good } }), log));

    const wrong = { ...good, passwordFile: secretFile('wrong-pass', `${PASSWORD}-wrong`) };
    const err = await Exporter.open(testSettings(s.url, { credentials: { auth: wrong } }), log).catch((e: unknown) => e);
    expect(isNatsConnectError(err)).toBe(true);
    expect((err as Error).message).toMatch(/cannot connect to NATS \(nats:\/\/127\.0\.0\.1:\d+\): .*[Aa]uthorization/);
    expect(JSON.stringify(err, Object.getOwnPropertyNames(err)) + String((err as Error).stack)).not.toContain(PASSWORD);
    expect(lines.join('\n')).not.toContain(PASSWORD);
  });

  it('token', async () => {
    const s = await server({ auth: { token: TOKEN } });
    const { log, lines } = capturingLogger('trace');
    await publishOne(await Exporter.open(testSettings(s.url, { credentials: { auth: { method: 'token', tokenFile: secretFile('token', TOKEN) } } }), log));
    expect(lines.join('\n')).not.toContain(TOKEN);
    const err = await Exporter.open(testSettings(s.url), log).catch((e: unknown) => e);
    expect(isNatsConnectError(err)).toBe(true);
  });

  it('NKey seed; a file that holds no seed is refused without its content', async () => {
    const user = createUser();
    const seed = new TextDecoder().decode(user.getSeed());
    const s = await server({ auth: { nkey: user.getPublicKey() } });
    const { log, lines } = capturingLogger('trace');
    await publishOne(await Exporter.open(testSettings(s.url, { credentials: { auth: { method: 'nkey', seedFile: secretFile('seed', seed) } } }), log));
    expect(lines.join('\n')).not.toContain(seed);

    const notASeed = `X${seed.slice(1)}`;
    const err = await Exporter.open(testSettings(s.url, { credentials: { auth: { method: 'nkey', seedFile: secretFile('bad-seed', notASeed) } } }), log).catch((e: unknown) => e);
    expect(isCredentialsError(err)).toBe(true);
    expect((err as Error).message).toMatch(/export\.auth\.seedFile: .*bad-seed does not hold an NKey user seed/);
    expect((err as Error).message).not.toContain(notASeed.slice(2, 20));
  });

  it('a file that is not a .creds file is refused naming the field, not the content', async () => {
    const content = 'not-a-creds-file-9fKx2';
    const err = await Exporter.open(testSettings('nats://127.0.0.1:1', { credentials: { credentialsFile: secretFile('x.creds', content) } }), capturingLogger().log).catch((e: unknown) => e);
    expect(isCredentialsError(err)).toBe(true);
    expect((err as Error).message).toMatch(/^export\.credentialsFile: .*x\.creds is not a NATS credentials file/);
    expect((err as Error).message).not.toContain(content);
  });

  it('TLS with a client certificate; without the CA file the server is not trusted', async () => {
    const pki: TestPki = makePki(dir);
    const s = await server({ tls: { certFile: pki.serverCert, keyFile: pki.serverKey, caFile: pki.caFile, verifyClients: true } });
    const { log } = capturingLogger('warn');
    const tls = { certFile: pki.clientCert, keyFile: pki.clientKey, caFile: pki.caFile };
    await publishOne(await Exporter.open(testSettings(s.url, { credentials: { tls } }), log));
    // a kubernetes.io/tls Secret without ca.crt: the system CAs, which do not know this CA
    const err = await Exporter.open(testSettings(s.url, { credentials: { tls: { ...tls, caFile: path.join(dir, 'absent-ca.crt') } } }), log).catch((e: unknown) => e);
    expect(isNatsConnectError(err)).toBe(true);
  });
});

describe('the agent process', () => {
  it('logs nothing secret, whether the password is right or wrong', async () => {
    const s = await server({ auth: { user: 'tapline', password: PASSWORD } });
    const capture = path.join(dir, 'empty.pcap');
    const hdr = Buffer.alloc(24);
    hdr.writeUInt32LE(0xa1b2c3d4, 0);
    hdr.writeUInt16LE(2, 4);
    hdr.writeUInt16LE(4, 6);
    hdr.writeUInt32LE(65535, 16);
    hdr.writeUInt32LE(1, 20);
    writeFileSync(capture, hdr);
    for (const [pass, code] of [[PASSWORD, 0], [`${PASSWORD}x`, 1]] as const) {
      const config = agentConfig(s.url, capture, await freePort());
      config.logLevel = 'trace';
      config.export.auth = { method: 'userPassword', usernameFile: secretFile('u', 'tapline'), passwordFile: secretFile('p', pass) };
      const r = await runAgentToEnd(['--config', writeConfig(path.join(dir, 'agent.json'), config)]);
      expect(r.code, r.proc.stderr).toBe(code);
      expect(r.proc.stdout + r.proc.stderr).not.toContain(PASSWORD);
      expect(r.proc.stdout.length + r.proc.stderr.length).toBeGreaterThan(0);
    }
  });
});
