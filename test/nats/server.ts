// A real nats-server with JetStream for the tests: built once from the pinned Go module
// test/nats/tools (scripts/nats/tools.mjs), file storage in a temporary directory, a free
// loopback port, optional user/password, token or NKey auth and TLS. stop() and start() again
// keep the port and the store directory, so a test can take NATS away mid-run and bring it back
// with its streams intact; cleanup() stops it and removes the directory.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { pathToFileURL } from 'node:url';

import { packageRoot } from '../../agent/engine/binding.js';
import { freePort } from '../support/free-port.js';

export type NatsTestAuth =
  | { user: string; password: string }
  | { token: string }
  /** An NKey user: the server knows the public key; the client signs with the seed. */
  | { nkey: string };

export interface NatsTestServerOptions {
  auth?: NatsTestAuth;
  /** Server certificate and key (PEM files); with `verifyClients`, clients must present a certificate signed by caFile. */
  tls?: { certFile: string; keyFile: string; caFile?: string; verifyClients?: boolean };
  /** Largest message the server accepts (bytes); nats-server's default is 1 MiB. */
  maxPayload?: number;
  /** The address to listen on (default 127.0.0.1), e.g. one a test's network namespace can reach. */
  host?: string;
}

export { freePort };

/** Building the server from Go modules can take minutes on a cold cache. */
export const NATS_BUILD_TIMEOUT_MS = 15 * 60_000;

let binary: Promise<string> | undefined;
/** The nats-server binary (built on first use, then from the cache). */
export function natsServerBinary(): Promise<string> {
  // imported from the package root, so that this also works compiled under dist/ (the benchmark)
  const tools = pathToFileURL(path.join(packageRoot(), 'scripts', 'nats', 'tools.mjs')).href;
  binary ??= (import(tools) as Promise<typeof import('../../scripts/nats/tools.mjs')>)
    .then((m) => m.ensureNatsTools({ log: (msg) => process.stderr.write(`${msg}\n`) }))
    .then((r) => r.paths['nats-server']);
  return binary;
}

function quote(s: string): string {
  return JSON.stringify(s);
}

export class NatsTestServer {
  private child: ChildProcess | undefined;
  private output = '';

  private constructor(
    readonly bin: string,
    readonly port: number,
    readonly dir: string,
    readonly options: NatsTestServerOptions,
  ) {}

  static async start(options: NatsTestServerOptions = {}): Promise<NatsTestServer> {
    const bin = await natsServerBinary();
    const dir = mkdtempSync(path.join(tmpdir(), 'tapline-nats-'));
    const server = new NatsTestServer(bin, await freePort(), dir, options);
    try {
      await server.startProcess();
    } catch (err) {
      rmSync(dir, { recursive: true, force: true });
      throw err;
    }
    return server;
  }

  get url(): string {
    return `${this.options.tls ? 'tls' : 'nats'}://${this.options.host ?? '127.0.0.1'}:${this.port}`;
  }

  get running(): boolean {
    return this.child !== undefined;
  }

  /** What the server printed (its log), for diagnosis and for tests that check what it saw. */
  get log(): string {
    return this.output;
  }

  /** Starts it again after stop(): same port, same store directory. */
  async start(): Promise<void> {
    if (this.child) throw new Error('nats-server is already running');
    await this.startProcess();
  }

  /** Stops the server (SIGTERM, then SIGKILL after 10 s) and waits for it to exit. */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child) return;
    this.child = undefined;
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  }

  async cleanup(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }

  private configText(): string {
    const o = this.options;
    const lines = [
      `listen: ${o.host ?? '127.0.0.1'}:${this.port}`,
      `server_name: tapline-test-${this.port}`,
      `jetstream { store_dir: ${quote(path.join(this.dir, 'js'))}, max_file_store: 4G, max_memory_store: 256M }`,
    ];
    if (o.maxPayload !== undefined) lines.push(`max_payload: ${o.maxPayload}`);
    const a = o.auth;
    if (a && 'user' in a) lines.push(`authorization { user: ${quote(a.user)}, password: ${quote(a.password)} }`);
    if (a && 'token' in a) lines.push(`authorization { token: ${quote(a.token)} }`);
    if (a && 'nkey' in a) lines.push(`authorization { users: [ { nkey: ${quote(a.nkey)} } ] }`);
    if (o.tls) {
      const t = o.tls;
      const parts = [`cert_file: ${quote(t.certFile)}`, `key_file: ${quote(t.keyFile)}`];
      if (t.caFile) parts.push(`ca_file: ${quote(t.caFile)}`);
      if (t.verifyClients) parts.push('verify: true');
      lines.push(`tls { ${parts.join(', ')} }`);
    }
    return `${lines.join('\n')}\n`;
  }

  private async startProcess(): Promise<void> {
    const conf = path.join(this.dir, 'nats.conf');
    writeFileSync(conf, this.configText(), { mode: 0o600 });
    const child = spawn(this.bin, ['-c', conf], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    const started = this.output.length;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => fail(new Error(`nats-server did not become ready in 30 s:\n${this.output.slice(started)}`)), 30_000);
      const onData = (d: Buffer) => {
        this.output += d.toString('utf8');
        if (this.output.indexOf('Server is ready', started) >= 0) {
          clearTimeout(timer);
          resolve();
        }
      };
      const fail = (err: Error) => {
        clearTimeout(timer);
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
        if (this.child === child) this.child = undefined;
        reject(err);
      };
      child.stdout?.on('data', onData);
      child.stderr?.on('data', onData);
      child.once('exit', (code, signal) => {
        fail(new Error(`nats-server exited (${signal ?? code}) before it was ready:\n${this.output.slice(started)}`));
      });
      child.once('error', (e) => fail(e));
    });
  }
}
