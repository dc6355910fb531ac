// What the benchmarks that run the operator share: polling with a deadline, and `tapline operator`
// as a child process (admin kubeconfig, metrics on a free loopback port) with its metrics read back.
import { spawn, type ChildProcess } from 'node:child_process';

import { parseMetrics } from '../support/prometheus.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls `fn` until it returns a value (a throw counts as not yet), or fails after timeoutMs. */
export async function until<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs: number, everyMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`bench: timed out waiting for ${what}`);
    await sleep(everyMs);
  }
}

export interface BenchOperator {
  child: ChildProcess;
  port: number;
  metrics(): Promise<Map<string, number>>;
  stop(): Promise<void>;
}

/** Starts `tapline operator` with leader election in `leaseNamespace`, plus `args`; resolves once its metrics port is known. */
export async function spawnBenchOperator(kubeconfigPath: string, leaseNamespace: string, identity: string, args: string[] = []): Promise<BenchOperator> {
  const child = spawn(
    process.execPath,
    ['bin/tapline.js', 'operator', '--kubeconfig', kubeconfigPath, '--metrics-port', '0', '--metrics-bind-address', '127.0.0.1', '--lease-namespace', leaseNamespace, '--identity', identity, ...args],
    { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, KUBECONFIG: '' } },
  );
  let out = '';
  let port: number | undefined;
  child.stdout!.on('data', (c: Buffer) => {
    if (port !== undefined) return;
    out += c.toString('utf8');
    const m = /"metricsPort":(\d+)/.exec(out);
    if (m) port = Number(m[1]);
  });
  const p = await until('the operator to start', async () => port, 30_000);
  return {
    child,
    port: p,
    metrics: async () => parseMetrics(await (await fetch(`http://127.0.0.1:${p}/metrics`)).text()),
    stop: async () => {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    },
  };
}
