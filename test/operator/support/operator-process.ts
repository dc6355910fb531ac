// Runs `tapline operator` as a child process (node bin/tapline.js operator ...), as it runs in a
// pod: its own credentials, its own /metrics. The pino JSON log lines are collected for assertions.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { until } from './cluster.js';
import { parseMetrics, sumMetric, writeCount } from '../../support/prometheus.js';

export interface LogLine {
  level: number;
  msg: string;
  time: number;
  [k: string]: unknown;
}

export interface OperatorProcess {
  child: ChildProcess;
  identity: string;
  logs: LogLine[];
  metricsPort: number;
  /** Samples of /metrics: `name{labels}` → value. */
  metrics(): Promise<Map<string, number>>;
  /** Sum of the samples of `name` whose labels contain every `match` pair. */
  metric(name: string, match?: Record<string, string>): Promise<number>;
  ready(): Promise<boolean>;
  /** Sends `signal` and resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  exited(): boolean;
}

export async function spawnOperator(o: { kubeconfig: string; identity: string; args?: string[]; echo?: boolean }): Promise<OperatorProcess> {
  const bin = path.join(process.cwd(), 'bin', 'tapline.js');
  if (!existsSync(path.join(process.cwd(), 'dist', 'operator', 'main.js'))) {
    throw new Error('dist/operator/main.js is missing: run npm run build:ts first');
  }
  const child = spawn(
    process.execPath,
    [bin, 'operator', '--kubeconfig', o.kubeconfig, '--metrics-port', '0', '--metrics-bind-address', '127.0.0.1', '--identity', o.identity, ...(o.args ?? [])],
    { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, KUBECONFIG: '' } },
  );
  const logs: LogLine[] = [];
  let buf = '';
  let exitCode: number | null | undefined;
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => {
    exitCode = code;
    resolve(code);
  }));
  child.stdout!.on('data', (c: Buffer) => {
    buf += c.toString('utf8');
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      try {
        logs.push(JSON.parse(line) as LogLine);
      } catch {
        logs.push({ level: 50, msg: line, time: Date.now() });
      }
      if (o.echo ?? process.env.TAPLINE_TEST_ECHO === '1') process.stderr.write(`[${o.identity}] ${line}\n`);
    }
  });
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => {
    stderr += c.toString('utf8');
  });
  const started = await until(
    `operator ${o.identity} to start`,
    async () => {
      if (exitCode !== undefined) throw new Error(`operator ${o.identity} exited with ${exitCode}: ${stderr}${JSON.stringify(logs.slice(-5))}`);
      return logs.find((l) => l.msg === 'operator started');
    },
    30_000,
  );
  const metricsPort = Number(started.metricsPort);
  const get = async (p: string) => {
    const r = await fetch(`http://127.0.0.1:${metricsPort}${p}`);
    return { status: r.status, text: await r.text() };
  };
  return {
    child,
    identity: o.identity,
    logs,
    metricsPort,
    metrics: async () => parseMetrics((await get('/metrics')).text),
    metric: async (name, match) => sumMetric(parseMetrics((await get('/metrics')).text), name, match),
    ready: async () => (await get('/readyz')).status === 200,
    stop: async (signal = 'SIGTERM') => {
      if (exitCode !== undefined) return exitCode;
      child.kill(signal);
      return exit;
    },
    exited: () => exitCode !== undefined,
  };
}

/** Write requests the operator made (create/update/patch/apply/delete), optionally leaving out leases. */
export async function writeRequests(op: OperatorProcess, o: { includeLeases?: boolean } = {}): Promise<number> {
  return writeCount(await op.metrics(), o);
}
