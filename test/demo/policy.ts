// The policy the demo applies: examples/ddos-watch.yaml's shape, with what a one-machine demo
// needs instead of a real edge — the nodes' capture interface (tap0, see topology.ts), the local
// NATS server, and thresholds and windows small enough for a short run to show an attack being
// raised and resolved.
import type { SnifferPolicySpecInput } from '../../operator/api/spec.js';
import { CAPTURE_IF } from './topology.js';

export const DEMO_NAMESPACE = 'tapline-demo';
export const DEMO_POLICY = 'ddos-watch';
export const DEMO_STREAM = 'TAPLINE_DEMO';
export const DEMO_SUBJECT_PREFIX = 'tapline';
/** The agents' metrics port (each agent has its own network namespace). */
export const DEMO_METRICS_PORT = 9464;

/** `interfaces`: where the agents capture (default the capture pair's tap0; on real nodes also the pod bridge). */
export function demoPolicySpec(natsUrl: string, captureLabel: string, interfaces: string[] = [CAPTURE_IF]): SnifferPolicySpecInput {
  return {
    nodeSelector: { matchLabels: { [captureLabel]: 'true' } },
    // Real nodes here share one 2-core machine: a CPU per worker plus one (the default, requests =
    // limits) would not fit; half a CPU each does, and the capture keeps up with the demo's rates.
    capture: { backend: 'afpacket', interfaces, snaplen: 128, workers: 2, resources: { cpu: '500m', memory: '512Mi' } },
    flows: { idleTimeoutSeconds: 5, activeTimeoutSeconds: 10, maxFlows: 65536 },
    detectors: {
      volumetric: { enabled: true, packetsPerSecond: 5000, windowSeconds: 2 },
      synFlood: { enabled: true, synsPerSecond: 300, halfOpenPercent: 80, windowSeconds: 2 },
      portScan: { enabled: true, distinctPorts: 100, windowSeconds: 10 },
      heavyHitters: { enabled: true, topK: 5, intervalSeconds: 5 },
      cooldownSeconds: 4,
    },
    export: {
      natsUrl,
      stream: DEMO_STREAM,
      subjectPrefix: DEMO_SUBJECT_PREFIX,
      createStream: true,
      streamLimits: { maxAgeSeconds: 3600, replicas: 1 },
    },
    metricsPort: DEMO_METRICS_PORT,
  };
}
