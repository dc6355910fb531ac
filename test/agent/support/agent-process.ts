// `tapline agent` as a child process, as the kubelet runs it: its JSON log lines, its metrics
// endpoint, signals, and its exit.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

import { packageRoot } from '../../../agent/engine/binding.js';
import { parseMetrics, sumMetric } from '../../support/prometheus.js';

export interface LogLine {
  level: number;
  msg: string;
  [k: string]: unknown;
}

export class AgentProcess {
  readonly lines: LogLine[] = [];
  stdout = '';
  stderr = '';
  readonly exited: Promise<number | null>;
  private readonly child: ChildProcess;
  private waiters: Array<() => void> = [];

  constructor(args: string[], env: Record<string, string> = {}) {
    this.child = spawn(process.execPath, [path.join(packageRoot(), 'bin', 'tapline.js'), 'agent', ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NODE_NAME: 'node-a', ...env },
    });
    let partial = '';
    this.child.stdout!.on('data', (d: Buffer) => {
      const text = d.toString('utf8');
      this.stdout += text;
      partial += text;
      const parts = partial.split('\n');
      partial = parts.pop() ?? '';
      for (const p of parts) {
        if (!p) continue;
        try {
          this.lines.push(JSON.parse(p) as LogLine);
        } catch {
          this.lines.push({ level: 0, msg: p });
        }
      }
      this.notify();
    });
    this.child.stderr!.on('data', (d: Buffer) => {
      this.stderr += d.toString('utf8');
      this.notify();
    });
    this.exited = new Promise((resolve) => this.child.on('close', (code) => {
      this.notify();
      resolve(code);
    }));
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  kill(signal: NodeJS.Signals): void {
    this.child.kill(signal);
  }

  /** Resolves with the first log line matching, or rejects after timeoutMs (or when the agent exits). */
  async waitForLog(pred: (l: LogLine) => boolean, timeoutMs = 30_000): Promise<LogLine> {
    const deadline = Date.now() + timeoutMs;
    let exited = false;
    void this.exited.then(() => (exited = true));
    for (;;) {
      const hit = this.lines.find(pred);
      if (hit) return hit;
      if (exited || Date.now() > deadline) {
        throw new Error(`agent log line not seen (${exited ? 'agent exited' : 'timeout'}):\n${this.stdout.slice(-4000)}\n${this.stderr.slice(-2000)}`);
      }
      await new Promise<void>((r) => {
        const t = setTimeout(r, 200);
        this.waiters.push(() => {
          clearTimeout(t);
          r();
        });
      });
    }
  }

  private notify(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }
}

/** Runs `tapline agent` to completion. */
export async function runAgentToEnd(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; proc: AgentProcess }> {
  const proc = new AgentProcess(args, env);
  return { code: await proc.exited, proc };
}

/** The agent's /metrics as samples (`name{labels}` -> value). */
export async function scrape(port: number): Promise<Map<string, number>> {
  return parseMetrics(await (await fetch(`http://127.0.0.1:${port}/metrics`)).text());
}

/** Sum of the samples of a metric whose labels contain every given `k="v"`. */
export const metric = sumMetric;
