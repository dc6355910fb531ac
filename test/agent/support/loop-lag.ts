// The agent's event-loop delay, measured inside the agent process by loop-lag-probe.ts (loaded
// with `node --import`): env for AgentProcess, and window() to close one measuring window.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

import { packageRoot } from '../../../agent/engine/binding.js';
import type { AgentProcess } from './agent-process.js';

export interface LoopLagWindow {
  fromMs: number;
  toMs: number;
  samples: number;
  /** Lag = the time between ticks of the probe's timer minus its period, in ms. */
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  meanMs: number;
}

export class LoopLagProbe {
  private n = 0;

  /** `file`: the prefix of the window files (in a temporary directory). */
  constructor(private readonly file: string) {}

  /** Environment for the agent process (NODE_OPTIONS keeps what the caller had). */
  env(): Record<string, string> {
    const probe = path.join(packageRoot(), 'dist', 'test', 'agent', 'support', 'loop-lag-probe.js');
    if (!existsSync(probe)) throw new Error(`${probe} is missing: run npm run build:ts`);
    const inherited = process.env.NODE_OPTIONS ? `${process.env.NODE_OPTIONS} ` : '';
    return { NODE_OPTIONS: `${inherited}--import=${pathToFileURL(probe).href}`, TAPLINE_TEST_LOOP_LAG_FILE: this.file };
  }

  /** Ends the agent's current window (SIGUSR2) and returns it; the next one starts now. */
  async window(agent: AgentProcess, timeoutMs = 10_000): Promise<LoopLagWindow> {
    this.n++;
    const f = `${this.file}.${this.n}.json`;
    agent.kill('SIGUSR2');
    const deadline = Date.now() + timeoutMs;
    while (!existsSync(f)) {
      if (Date.now() > deadline) throw new Error(`the agent wrote no event-loop window ${f}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    const raw = JSON.parse(readFileSync(f, 'utf8')) as LoopLagWindow & { resolutionMs: number };
    const lag = (ms: number) => Math.max(0, ms - raw.resolutionMs);
    return { fromMs: raw.fromMs, toMs: raw.toMs, samples: raw.samples, p50Ms: lag(raw.p50Ms), p99Ms: lag(raw.p99Ms), maxMs: lag(raw.maxMs), meanMs: lag(raw.meanMs) };
  }
}
