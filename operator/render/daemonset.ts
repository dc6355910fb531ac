// The agent DaemonSet: one agent per selected node.
import { AGENT_CONFIG_KEY, AGENT_CONFIG_PATH } from '../../agent/index.js';
import type { SnifferPolicy } from '../api/policy.js';
import { backendNeeds } from './backend.js';
import { PrivilegedNotAllowedError } from './errors.js';
import { agentLabels, selectorLabels } from './labels.js';
import { MOUNTS } from './mounts.js';
import { agentResourceName } from './names.js';
import { ownedMetadata } from './owner.js';
import { placement } from './scheduling.js';
import type { OperatorSettings } from './settings.js';
import type { Container, DaemonSet, EnvVar, SecurityContext, Volume, VolumeMount } from './types.js';

export const CONFIG_HASH_ANNOTATION = 'tapline.dev/config-hash';
export const AGENT_CONTAINER = 'agent';

/** Long enough for the agent to flush every live flow and its spool on SIGTERM. */
const TERMINATION_GRACE_SECONDS = 60;
const DEFAULT_MEMORY = '1Gi';

function env(): EnvVar[] {
  const field = (name: string, fieldPath: string): EnvVar => ({ name, valueFrom: { fieldRef: { fieldPath } } });
  return [field('NODE_NAME', 'spec.nodeName'), field('POD_NAME', 'metadata.name'), field('POD_NAMESPACE', 'metadata.namespace')];
}

function securityContext(policy: SnifferPolicy, capabilities: string[]): SecurityContext {
  // Root inside the container: Kubernetes grants added capabilities to UID 0 only (no ambient
  // capabilities), and the capture sockets and VFIO need them. Everything else is locked down.
  const base = { readOnlyRootFilesystem: true, runAsUser: 0, runAsNonRoot: false };
  if (policy.spec.capture.privileged) return { ...base, privileged: true };
  return { ...base, privileged: false, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'], add: capabilities } };
}

function secretVolumes(policy: SnifferPolicy): { volumes: Volume[]; mounts: VolumeMount[] } {
  const x = policy.spec.export;
  const volumes: Volume[] = [];
  const mounts: VolumeMount[] = [];
  if (x.credentialsSecretRef) {
    const { name, key } = x.credentialsSecretRef;
    volumes.push({ name: 'nats-credentials', secret: { secretName: name, items: [{ key, path: MOUNTS.natsCredentialsFile }], defaultMode: 0o400 } });
    mounts.push({ name: 'nats-credentials', mountPath: MOUNTS.natsCredentials, readOnly: true });
  }
  if (x.tlsSecretRef) {
    volumes.push({ name: 'nats-tls', secret: { secretName: x.tlsSecretRef.name, defaultMode: 0o400 } });
    mounts.push({ name: 'nats-tls', mountPath: MOUNTS.natsTls, readOnly: true });
  }
  return { volumes, mounts };
}

export function renderDaemonSet(policy: SnifferPolicy, settings: OperatorSettings, configHash: string): DaemonSet {
  const { metadata: meta, spec } = policy;
  if (spec.capture.privileged && !settings.allowPrivileged) {
    throw new PrivilegedNotAllowedError(
      `${meta.namespace}/${meta.name} asks for a privileged agent (capture.privileged) and the operator does not allow privileged agents`,
    );
  }
  const name = agentResourceName(meta.name);
  const needs = backendNeeds(policy);
  const secrets = secretVolumes(policy);
  const compute = {
    // One core per worker and one for the agent's event loop; requests equal limits (Guaranteed QoS).
    cpu: spec.capture.resources?.cpu ?? String(spec.capture.workers + 1),
    memory: spec.capture.resources?.memory ?? DEFAULT_MEMORY,
    ...needs.resources,
  };
  const probe = (path: string, periodSeconds: number, failureThreshold: number) => ({
    httpGet: { path, port: 'metrics' },
    periodSeconds,
    failureThreshold,
    timeoutSeconds: 2,
  });
  const container: Container = {
    name: AGENT_CONTAINER,
    image: settings.agentImage,
    imagePullPolicy: settings.imagePullPolicy,
    args: ['agent', '--config', AGENT_CONFIG_PATH],
    env: env(),
    ports: [{ name: 'metrics', containerPort: spec.metricsPort, protocol: 'TCP' }],
    resources: { requests: { ...compute }, limits: { ...compute } },
    securityContext: securityContext(policy, needs.capabilities),
    volumeMounts: [
      { name: 'config', mountPath: MOUNTS.config, readOnly: true },
      { name: 'tmp', mountPath: MOUNTS.tmp },
      ...needs.volumeMounts,
      ...secrets.mounts,
    ],
    // DPDK's EAL init (hugepage mapping, device probe) can take a while: up to 2 minutes.
    startupProbe: probe('/healthz', 2, 60),
    readinessProbe: probe('/readyz', 5, 3),
    livenessProbe: probe('/healthz', 10, 3),
    // The agent writes its one-line fatal error to /dev/termination-log (the default path); an exit
    // without one (a crash) leaves the tail of its log. Either shows in the pod's container status,
    // where the operator reads it for the policy's Degraded condition.
    terminationMessagePolicy: 'FallbackToLogsOnError',
  };
  const volumes: Volume[] = [
    { name: 'config', configMap: { name, items: [{ key: AGENT_CONFIG_KEY, path: AGENT_CONFIG_KEY }], defaultMode: 0o444 } },
    { name: 'tmp', emptyDir: { sizeLimit: '64Mi' } },
    ...needs.volumes,
    ...secrets.volumes,
  ];
  const place = placement(spec);
  return {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: ownedMetadata(name, meta, settings),
    spec: {
      selector: { matchLabels: selectorLabels(meta) },
      // One node at a time: a capture gap on one node, never on all.
      updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1 } },
      revisionHistoryLimit: 5,
      template: {
        metadata: {
          labels: agentLabels(meta, settings),
          annotations: { [CONFIG_HASH_ANNOTATION]: configHash, 'kubectl.kubernetes.io/default-container': AGENT_CONTAINER },
        },
        spec: {
          serviceAccountName: name,
          automountServiceAccountToken: false,
          ...(needs.hostNetwork ? { hostNetwork: true, dnsPolicy: 'ClusterFirstWithHostNet' as const } : {}),
          ...(settings.priorityClassName ? { priorityClassName: settings.priorityClassName } : {}),
          nodeSelector: place.nodeSelector,
          ...(place.affinity ? { affinity: place.affinity } : {}),
          ...(place.tolerations ? { tolerations: place.tolerations } : {}),
          ...(settings.imagePullSecrets.length ? { imagePullSecrets: settings.imagePullSecrets.map((n) => ({ name: n })) } : {}),
          securityContext: { seccompProfile: { type: 'RuntimeDefault' } },
          terminationGracePeriodSeconds: TERMINATION_GRACE_SECONDS,
          containers: [container],
          volumes,
        },
      },
    },
  };
}
