// One agent process per selected node, run the way the DaemonSet runs it: the same agent config
// (the ConfigMap's agent.json), the same environment (NODE_NAME, POD_NAME, POD_NAMESPACE from the
// downward API), in the node's own network namespace where its capture interface is.
import { writeFileSync } from 'node:fs';
import path from 'node:path';

import { spawnLogged } from './child.js';
import type { DemoHost } from './topology.js';

export interface DemoAgent {
  host: DemoHost;
  pod: string;
  metricsUrl: string;
  logPath: string;
  /** SIGTERM, as the kubelet sends it; resolves to the exit code. */
  stop(): Promise<number | null>;
  exited(): boolean;
}

export async function startAgent(
  repoRoot: string, dir: string, host: DemoHost, pod: string, namespace: string, configJson: string, metricsPort: number,
): Promise<DemoAgent> {
  const configPath = path.join(dir, `agent-${host.node}.json`);
  writeFileSync(configPath, configJson);
  const logPath = path.join(dir, `agent-${host.node}.log`);
  const child = spawnLogged(
    'ip',
    ['netns', 'exec', host.netns, process.execPath, path.join(repoRoot, 'bin', 'tapline.js'), 'agent', '--config', configPath],
    logPath,
    { ...process.env, NODE_NAME: host.node, POD_NAME: pod, POD_NAMESPACE: namespace },
  );
  const metricsUrl = `http://${host.address}:${metricsPort}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode() !== undefined) throw new Error(`the agent for ${host.node} exited (${child.exitCode()}) at start; see ${logPath}`);
    if ((await fetch(`${metricsUrl}/readyz`).catch(() => undefined))?.ok) break;
    if (Date.now() > deadline) throw new Error(`the agent for ${host.node} was not ready within 60 s; see ${logPath}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    host,
    pod,
    metricsUrl,
    logPath,
    exited: () => child.exitCode() !== undefined,
    stop: () => child.stop(30_000),
  };
}
