// The demo's NATS server: nats-server with JetStream (file storage under the demo's directory),
// built from the pinned Go module like the tests' (scripts/nats/tools.mjs), listening on the
// bridge address so the agents in their namespaces reach it, and nowhere else.
import { mkdirSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import path from 'node:path';

import { spawnLogged } from './child.js';
import type { DemoHarness } from './harness.js';

export interface DemoNats {
  url: string;
  bin: string;
  natsCli: string;
  logPath: string;
  stop(): Promise<void>;
}

async function reachable(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host, port }, () => {
      s.destroy();
      resolve(true);
    });
    s.on('error', () => resolve(false));
  });
}

export async function startNats(harness: DemoHarness, dir: string, host: string, port: number, log: (m: string) => void): Promise<DemoNats> {
  const tools = await harness.ensureNatsTools({ log });
  // A fresh store: the live view reads the stream from its start, and an earlier run's messages are not this run's.
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const logPath = path.join(dir, 'nats-server.log');
  const child = spawnLogged(
    tools.paths['nats-server'],
    ['-a', host, '-p', String(port), '-js', '-sd', path.join(dir, 'jetstream'), '-n', 'tapline-demo'],
    logPath,
  );
  const deadline = Date.now() + 15_000;
  while (!(await reachable(host, port))) {
    if (child.exitCode() !== undefined) throw new Error(`nats-server exited (${child.exitCode()}) at start; see ${logPath}`);
    if (Date.now() > deadline) throw new Error(`nats-server did not listen on ${host}:${port} within 15 s; see ${logPath}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url: `nats://${host}:${port}`,
    bin: tools.paths['nats-server'],
    natsCli: tools.paths.nats,
    logPath,
    async stop() {
      await child.stop(5000);
    },
  };
}
