// A complete, valid agent config for tests (file capture backend), to be changed per test.
import { writeFileSync } from 'node:fs';

import type { AgentConfig } from '../../../agent/config/schema.js';

export function agentConfig(url: string, capturePath: string, metricsPort: number): AgentConfig {
  return {
    version: 1,
    policy: { namespace: 'test-ns', name: 'test-policy', uid: '00000000-0000-0000-0000-000000000001', generation: 1 },
    capture: { backend: 'file', path: capturePath, workers: 1 },
    flows: { idleTimeoutSeconds: 15, activeTimeoutSeconds: 1800, maxFlows: 1 << 16 },
    detectors: {
      volumetric: { enabled: false, windowSeconds: 10 },
      synFlood: { enabled: false, synsPerSecond: 1000, halfOpenPercent: 80, windowSeconds: 10 },
      portScan: { enabled: false, distinctPorts: 100, windowSeconds: 10 },
      heavyHitters: { enabled: false, topK: 10, intervalSeconds: 60 },
      cooldownSeconds: 30,
    },
    export: {
      servers: [url],
      stream: 'TAPLINE',
      subjects: { flows: 'tapline.test-ns.test-policy.flows', alerts: 'tapline.test-ns.test-policy.alerts' },
      createStream: { subjects: ['tapline.>'], maxAgeSeconds: 3600, replicas: 1, duplicateWindowSeconds: 600 },
    },
    metrics: { port: metricsPort },
  };
}

export function writeConfig(path: string, config: unknown): string {
  writeFileSync(path, typeof config === 'string' ? config : JSON.stringify(config, null, 2));
  return path;
}
