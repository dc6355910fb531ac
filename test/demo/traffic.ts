// The demo's traffic: generated captures (the same generator the tests use, so what is sent is
// known exactly) replayed with tcpreplay out of each host's sender interface, at a steady rate
// for the normal traffic and in one burst for the attack.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import path from 'node:path';

import { writeCaptureFile } from '../gen/capture-writer.js';
import { buildCapture, type Scenario } from '../gen/scenario.js';
import { mixedScenarios } from '../gen/scenarios.js';
import { SENDER_IF, type DemoHost } from './topology.js';

export interface TrafficFile {
  path: string;
  packets: number;
}

/** Ethernet captures only: tcpreplay sends frames as they are, so every frame must be Ethernet. */
export function writeTraffic(dir: string, name: string, scenarios: readonly Scenario[]): TrafficFile {
  mkdirSync(dir, { recursive: true });
  const capture = buildCapture(scenarios, { precision: 'us' });
  const file = path.join(dir, `${name}.pcap`);
  writeCaptureFile(file, capture.frames, { format: 'pcap', precision: 'us' });
  return { path: file, packets: capture.frames.length };
}

/** Normal traffic: every generated scenario family (TCP, UDP, DNS, ICMP, IPv6, SCTP, VLAN, fragments). */
export function normalTraffic(dir: string, seed: number): TrafficFile {
  return writeTraffic(dir, `normal-${seed}`, mixedScenarios(seed, { timeouts: false }));
}

export interface ReplayOptions {
  /** Packets per second (tcpreplay --pps); the capture's own timing when absent. */
  pps?: number;
  /** How many times to send the file (tcpreplay --loop; 0 = until stopped). */
  loops?: number;
}

/** Starts tcpreplay in the host's namespace; resolves when it exits (rejects on a non-zero exit other than being stopped). */
export function replay(host: DemoHost, file: TrafficFile, opts: ReplayOptions = {}): { child: ChildProcess; done: Promise<void> } {
  const args = ['netns', 'exec', host.netns, 'tcpreplay', '-q', '-i', SENDER_IF];
  if (opts.pps !== undefined) args.push(`--pps=${opts.pps}`);
  if (opts.loops !== undefined) args.push(`--loop=${opts.loops}`);
  args.push(file.path);
  const child = spawn('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const done = new Promise<void>((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (code === 0 || signal === 'SIGTERM' || signal === 'SIGINT') resolve();
      else reject(new Error(`tcpreplay in ${host.netns} exited ${code ?? signal}: ${stderr.trim()}`));
    });
  });
  return { child, done };
}
