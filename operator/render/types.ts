// The parts of the Kubernetes object types the renderer writes (core/v1, apps/v1). Hand-written
// subsets: the operator's API client sends them as JSON; the API server validates them.
export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller: boolean;
  blockOwnerDeletion: boolean;
}

export interface ObjectMeta {
  name: string;
  namespace: string;
  labels: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences: OwnerReference[];
}

export interface ConfigMap {
  apiVersion: 'v1';
  kind: 'ConfigMap';
  metadata: ObjectMeta;
  data: Record<string, string>;
}

export interface ServiceAccount {
  apiVersion: 'v1';
  kind: 'ServiceAccount';
  metadata: ObjectMeta;
  automountServiceAccountToken: boolean;
}

export interface NodeSelectorRequirement {
  key: string;
  operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';
  values?: string[];
}

export interface Toleration {
  key?: string;
  operator?: 'Exists' | 'Equal';
  value?: string;
  effect?: 'NoSchedule' | 'PreferNoSchedule' | 'NoExecute';
  tolerationSeconds?: number;
}

export interface Affinity {
  nodeAffinity: {
    requiredDuringSchedulingIgnoredDuringExecution: {
      nodeSelectorTerms: { matchExpressions?: NodeSelectorRequirement[]; matchFields?: NodeSelectorRequirement[] }[];
    };
  };
}

export interface Volume {
  name: string;
  configMap?: { name: string; items?: { key: string; path: string }[]; defaultMode?: number };
  secret?: { secretName: string; items?: { key: string; path: string }[]; defaultMode?: number };
  emptyDir?: { medium?: string; sizeLimit?: string };
  hostPath?: { path: string; type: 'Directory' | 'DirectoryOrCreate' | 'CharDevice' };
}

export interface VolumeMount {
  name: string;
  mountPath: string;
  readOnly?: boolean;
  recursiveReadOnly?: 'Disabled' | 'IfPossible' | 'Enabled';
}

export interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { fieldRef: { fieldPath: string } };
}

export interface SecurityContext {
  privileged?: boolean;
  allowPrivilegeEscalation?: boolean;
  readOnlyRootFilesystem: boolean;
  runAsUser: number;
  runAsNonRoot: boolean;
  capabilities?: { drop: string[]; add?: string[] };
}

export interface Probe {
  httpGet: { path: string; port: string };
  periodSeconds: number;
  failureThreshold: number;
  timeoutSeconds?: number;
}

export interface Container {
  name: string;
  image: string;
  imagePullPolicy: string;
  args: string[];
  env: EnvVar[];
  ports: { name: string; containerPort: number; protocol: 'TCP' }[];
  resources: { requests: Record<string, string>; limits: Record<string, string> };
  securityContext: SecurityContext;
  volumeMounts: VolumeMount[];
  startupProbe: Probe;
  readinessProbe: Probe;
  livenessProbe: Probe;
  /** The agent writes its fatal error to /dev/termination-log; without one, the tail of its log is used. */
  terminationMessagePolicy: 'File' | 'FallbackToLogsOnError';
}

export interface PodSpec {
  serviceAccountName: string;
  automountServiceAccountToken: boolean;
  hostNetwork?: boolean;
  dnsPolicy?: 'ClusterFirstWithHostNet';
  priorityClassName?: string;
  nodeSelector: Record<string, string>;
  affinity?: Affinity;
  tolerations?: Toleration[];
  imagePullSecrets?: { name: string }[];
  securityContext: { seccompProfile: { type: 'RuntimeDefault' } };
  terminationGracePeriodSeconds: number;
  containers: Container[];
  volumes: Volume[];
}

export interface DaemonSet {
  apiVersion: 'apps/v1';
  kind: 'DaemonSet';
  metadata: ObjectMeta;
  spec: {
    selector: { matchLabels: Record<string, string> };
    updateStrategy: { type: 'RollingUpdate'; rollingUpdate: { maxUnavailable: number | string } };
    revisionHistoryLimit: number;
    template: {
      metadata: { labels: Record<string, string>; annotations: Record<string, string> };
      spec: PodSpec;
    };
  };
}
