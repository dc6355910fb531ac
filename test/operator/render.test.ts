// Render: names, owner references, config hash, placement, backend needs, privilege rules.
import { describe, expect, it } from 'vitest';
import { AgentConfigSchema, subjectToken } from '../../agent/config/schema.js';
import { sriovEnvName } from '../../operator/render/agent-config.js';
import { vdevUsesAfPacket, vdevUsesAfXdp } from '../../operator/render/backend.js';
import {
  agentResourceName,
  CONFIG_HASH_ANNOTATION,
  isPrivilegedNotAllowedError,
  policyLabelValue,
  renderPolicy,
} from '../../operator/render/index.js';
import { AFPACKET_SPEC, DPDK_SPEC, policy, settings } from './support/render-fixtures.js';
import { DetectorOptionsSchema } from '../../agent/engine/detector-options.js';

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

const afpacket = () => renderPolicy(policy('edge-taps', AFPACKET_SPEC), settings());
const dpdk = () => renderPolicy(policy('core-dpdk', DPDK_SPEC), settings());
const container = (d: ReturnType<typeof afpacket>) => d.daemonSet.spec.template.spec.containers[0]!;

describe('names', () => {
  it('are tapline-<policy> for ordinary names', () => {
    expect(agentResourceName('edge-taps')).toBe('tapline-edge-taps');
    expect(policyLabelValue('edge-taps')).toBe('edge-taps');
  });

  it('stay within 63 characters, valid and distinct for long names', () => {
    const a = 'a'.repeat(200);
    const b = `${'a'.repeat(199)}b`;
    for (const n of [a, b, 'x'.repeat(55), 'x'.repeat(56), `${'y'.repeat(53)}-${'z'.repeat(20)}`]) {
      expect(agentResourceName(n).length).toBeLessThanOrEqual(63);
      expect(agentResourceName(n)).toMatch(DNS1123_LABEL);
      expect(policyLabelValue(n).length).toBeLessThanOrEqual(63);
      expect(policyLabelValue(n)).toMatch(LABEL_VALUE);
    }
    expect(agentResourceName(a)).not.toBe(agentResourceName(b));
    expect(policyLabelValue(a)).not.toBe(policyLabelValue(b));
    expect(agentResourceName('x'.repeat(55))).toBe(`tapline-${'x'.repeat(55)}`);
    expect(agentResourceName('x'.repeat(56))).toMatch(/^tapline-x+-[0-9a-f]{8}$/);
  });

  it('turn dots into dashes without colliding with the dashed name', () => {
    expect(agentResourceName('edge.taps')).toMatch(/^tapline-edge-taps-[0-9a-f]{8}$/);
    expect(agentResourceName('edge.taps')).not.toBe(agentResourceName('edge-taps'));
    expect(agentResourceName('edge.taps')).toMatch(DNS1123_LABEL);
  });

  it('are deterministic', () => {
    expect(agentResourceName('z'.repeat(100))).toBe(agentResourceName('z'.repeat(100)));
  });

  it('name all three objects alike, in the policy namespace, and wire them together', () => {
    const d = afpacket();
    for (const o of [d.configMap, d.serviceAccount, d.daemonSet]) {
      expect(o.metadata.name).toBe('tapline-edge-taps');
      expect(o.metadata.namespace).toBe('netops');
    }
    const pod = d.daemonSet.spec.template.spec;
    expect(pod.serviceAccountName).toBe(d.serviceAccount.metadata.name);
    expect(pod.volumes.find((v) => v.name === 'config')?.configMap?.name).toBe(d.configMap.metadata.name);
  });
});

describe('owner references and labels', () => {
  it('every object is controlled by the policy', () => {
    const d = afpacket();
    for (const o of [d.configMap, d.serviceAccount, d.daemonSet]) {
      expect(o.metadata.ownerReferences).toEqual([
        { apiVersion: 'tapline.dev/v1alpha1', kind: 'SnifferPolicy', name: 'edge-taps', uid: 'uid-edge-taps', controller: true, blockOwnerDeletion: true },
      ]);
      expect(o.metadata.labels).toMatchObject({
        'app.kubernetes.io/name': 'tapline-agent',
        'app.kubernetes.io/instance': 'edge-taps',
        'app.kubernetes.io/part-of': 'tapline',
        'app.kubernetes.io/managed-by': 'tapline-operator',
      });
    }
  });

  it('the DaemonSet selector matches its pod template labels', () => {
    const ds = afpacket().daemonSet;
    for (const [k, v] of Object.entries(ds.spec.selector.matchLabels)) expect(ds.spec.template.metadata.labels[k]).toBe(v);
  });
});

describe('config hash', () => {
  it('is the sha256 of the ConfigMap content and sits on the pod template', () => {
    const d = afpacket();
    expect(d.configHash).toMatch(/^[0-9a-f]{64}$/);
    expect(d.daemonSet.spec.template.metadata.annotations[CONFIG_HASH_ANNOTATION]).toBe(d.configHash);
  });

  it('is stable for the same policy', () => {
    expect(afpacket().configHash).toBe(afpacket().configHash);
    expect(afpacket()).toEqual(afpacket());
  });

  it('changes when the spec changes what the agent does', () => {
    const base = afpacket().configHash;
    const changed = [
      { ...AFPACKET_SPEC, flows: { idleTimeoutSeconds: 30 } },
      { ...AFPACKET_SPEC, capture: { ...AFPACKET_SPEC.capture, filter: 'tcp' } },
      { ...AFPACKET_SPEC, detectors: { portScan: { enabled: true, distinctPorts: 50 } } },
      { ...AFPACKET_SPEC, export: { ...AFPACKET_SPEC.export, stream: 'OTHER' } },
    ];
    const hashes = changed.map((spec) => renderPolicy(policy('edge-taps', spec), settings()).configHash);
    for (const h of hashes) expect(h).not.toBe(base);
    expect(new Set(hashes).size).toBe(hashes.length);
  });

  it('does not change for placement-only edits (they roll pods through the template anyway)', () => {
    const moved = renderPolicy(policy('edge-taps', { ...AFPACKET_SPEC, tolerations: [] }), settings());
    expect(moved.configHash).toBe(afpacket().configHash);
  });
});

describe('agent config', () => {
  it('carries a horizontal-scan threshold (distinctHosts) through to options the engine accepts', () => {
    const r = renderPolicy(policy('edge-taps', { ...AFPACKET_SPEC, detectors: { portScan: { enabled: true, distinctPorts: 50, distinctHosts: 20 } } }), settings());
    expect(AgentConfigSchema.parse(r.agentConfig).detectors.portScan).toEqual({ enabled: true, distinctPorts: 50, distinctHosts: 20, windowSeconds: 60 });
    expect(DetectorOptionsSchema.parse(r.agentConfig.detectors).portScan?.distinctHosts).toBe(20);
  });

  it('passes the agent\'s own schema and carries secret paths, never secrets', () => {
    const c = dpdk().agentConfig;
    expect(AgentConfigSchema.parse(c)).toEqual(c);
    expect(c.export.tls).toEqual({
      certFile: '/var/run/secrets/tapline/nats-tls/tls.crt',
      keyFile: '/var/run/secrets/tapline/nats-tls/tls.key',
      caFile: '/var/run/secrets/tapline/nats-tls/ca.crt',
    });
    expect(afpacket().agentConfig.export.credentialsFile).toBe('/var/run/secrets/tapline/nats/nats.creds');
  });

  it('names the subjects per namespace and policy, safe as NATS tokens', () => {
    const c = renderPolicy(policy('edge.taps', AFPACKET_SPEC), settings()).agentConfig;
    expect(c.export.subjects).toEqual({ flows: 'tapline.netops.edge_taps.flows', alerts: 'tapline.netops.edge_taps.alerts' });
    expect(c.export.createStream?.subjects).toEqual(['tapline.>']);
    expect(subjectToken('ip-10-0-0-1.ec2.internal')).toBe('ip-10-0-0-1_ec2_internal');
  });

  it('points a DPDK agent at the SR-IOV device plugin\'s env var and the hugepage mount', () => {
    const c = dpdk().agentConfig.capture;
    expect(c).toMatchObject({
      backend: 'dpdk',
      devices: { pciAddressesFromEnv: 'PCIDEVICE_INTEL_COM_INTEL_SRIOV_DPDK' },
      hugepages: { pageSize: '1Gi', memoryMiB: 2048, dir: '/dev/hugepages' },
      cores: '2-5',
      workers: 4,
    });
    expect(sriovEnvName('openshift.io/mlnx.vf')).toBe('PCIDEVICE_OPENSHIFT_IO_MLNX_VF');
  });

  it('omits createStream when the stream is managed elsewhere', () => {
    const d = renderPolicy(policy('p', { ...AFPACKET_SPEC, export: { natsUrl: 'nats://n:4222', createStream: false } }), settings());
    expect(d.agentConfig.export.createStream).toBeUndefined();
  });
});

describe('placement', () => {
  it('pins by nodeSelector (matchLabels, Linux) and required node affinity (matchExpressions)', () => {
    const pod = afpacket().daemonSet.spec.template.spec;
    expect(pod.nodeSelector).toEqual({ 'kubernetes.io/os': 'linux', 'tapline.dev/capture': 'true' });
    expect(pod.affinity?.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms).toEqual([
      { matchExpressions: [{ key: 'node-role.kubernetes.io/control-plane', operator: 'DoesNotExist' }] },
    ]);
    expect(pod.tolerations).toEqual([{ key: 'dedicated', operator: 'Equal', value: 'capture', effect: 'NoSchedule' }]);
  });

  it('has no affinity or tolerations when the policy has none', () => {
    const pod = renderPolicy(policy('p', { capture: { backend: 'afpacket', interfaces: ['eth0'] }, export: { natsUrl: 'nats://n:4222' } }), settings())
      .daemonSet.spec.template.spec;
    expect(pod.nodeSelector).toEqual({ 'kubernetes.io/os': 'linux' });
    expect(pod.affinity).toBeUndefined();
    expect(pod.tolerations).toBeUndefined();
  });
});

describe('backend needs and security', () => {
  it('AF_PACKET: host network, NET_RAW and NET_ADMIN only, no hugepages or devices', () => {
    const d = afpacket();
    const pod = d.daemonSet.spec.template.spec;
    expect(pod.hostNetwork).toBe(true);
    expect(pod.dnsPolicy).toBe('ClusterFirstWithHostNet');
    expect(container(d).securityContext).toEqual({
      readOnlyRootFilesystem: true,
      runAsUser: 0,
      runAsNonRoot: false,
      privileged: false,
      allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'], add: ['NET_RAW', 'NET_ADMIN'] },
    });
    expect(Object.keys(container(d).resources.limits)).toEqual(['cpu', 'memory']);
    expect(pod.volumes.map((v) => v.name)).toEqual(['config', 'tmp', 'nats-credentials']);
  });

  it('DPDK on SR-IOV: hugepages and one VF as resources, IPC_LOCK and SYS_NICE only, hugetlbfs, /sys read-only, no host network', () => {
    const d = dpdk();
    const pod = d.daemonSet.spec.template.spec;
    const c = container(d);
    expect(pod.hostNetwork).toBeUndefined();
    expect(c.securityContext.capabilities).toEqual({ drop: ['ALL'], add: ['IPC_LOCK', 'SYS_NICE'] });
    expect(c.resources.requests).toEqual({ cpu: '6', memory: '2Gi', 'hugepages-1Gi': '2Gi', 'intel.com/intel_sriov_dpdk': '1' });
    expect(c.resources.limits).toEqual(c.resources.requests);
    expect(pod.volumes.find((v) => v.name === 'hugepages')?.emptyDir).toEqual({ medium: 'HugePages-1Gi' });
    expect(c.volumeMounts.find((m) => m.name === 'sys')).toEqual({ name: 'sys', mountPath: '/sys', readOnly: true, recursiveReadOnly: 'IfPossible' });
    expect(pod.volumes.some((v) => v.hostPath?.path === '/dev/vfio')).toBe(false);
  });

  it('DPDK on PCI addresses: /dev/vfio from the host, privileged only when the operator allows it', () => {
    const spec = { capture: { backend: 'dpdk', pciAddresses: ['0000:3b:02.0'], hugepages: { amount: '512Mi' }, privileged: true }, export: { natsUrl: 'nats://n:4222' } };
    let err: unknown;
    try {
      renderPolicy(policy('pci', spec), settings());
    } catch (e) {
      err = e;
    }
    expect(isPrivilegedNotAllowedError(err)).toBe(true);
    expect(String(err)).toMatch(/netops\/pci asks for a privileged agent/);

    const d = renderPolicy(policy('pci', spec), settings({ allowPrivileged: true }));
    const c = container(d);
    expect(c.securityContext).toEqual({ readOnlyRootFilesystem: true, runAsUser: 0, runAsNonRoot: false, privileged: true });
    expect(d.daemonSet.spec.template.spec.volumes.find((v) => v.name === 'vfio')?.hostPath).toEqual({ path: '/dev/vfio', type: 'Directory' });
    expect(c.resources.limits).toEqual({ cpu: '2', memory: '1Gi', 'hugepages-2Mi': '512Mi' });
    expect(d.agentConfig.capture).toMatchObject({ devices: { pciAddresses: ['0000:3b:02.0'] } });
  });

  it('DPDK on virtual devices (net_af_packet, no SR-IOV): hugepages only, NET_RAW and NET_ADMIN beside IPC_LOCK and SYS_NICE, no VF, no /dev/vfio', () => {
    const spec = {
      capture: { backend: 'dpdk', vdevs: ['net_af_packet0,iface=eth0'], workers: 2, hugepages: { pageSize: '2Mi', amount: '256Mi' } },
      export: { natsUrl: 'nats://n:4222' },
    };
    const d = renderPolicy(policy('lab-dpdk', spec), settings({ allowPrivileged: true }));
    const pod = d.daemonSet.spec.template.spec;
    const c = container(d);
    expect(pod.hostNetwork).toBeUndefined();
    expect(c.securityContext).toEqual({
      readOnlyRootFilesystem: true,
      runAsUser: 0,
      runAsNonRoot: false,
      privileged: false,
      allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'], add: ['IPC_LOCK', 'SYS_NICE', 'NET_RAW', 'NET_ADMIN'] },
    });
    expect(c.resources.limits).toEqual({ cpu: '3', memory: '1Gi', 'hugepages-2Mi': '256Mi' });
    expect(pod.volumes.find((v) => v.name === 'hugepages')?.emptyDir).toEqual({ medium: 'HugePages-2Mi' });
    expect(pod.volumes.some((v) => v.name === 'vfio' || v.hostPath?.path === '/dev/vfio')).toBe(false);
    expect(d.agentConfig.capture).toEqual({
      backend: 'dpdk',
      devices: { vdevs: ['net_af_packet0,iface=eth0'] },
      hugepages: { pageSize: '2Mi', memoryMiB: 256, dir: '/dev/hugepages' },
      runtimeDir: expect.any(String),
      snaplen: 256,
      workers: 2,
    });
    expect(AgentConfigSchema.parse(d.agentConfig)).toEqual(d.agentConfig);
  });

  it('DPDK on virtual devices that open no AF_PACKET socket (net_pcap on a file): IPC_LOCK and SYS_NICE only', () => {
    const spec = {
      capture: { backend: 'dpdk', vdevs: ['net_pcap0,rx_pcap=/data/replay.pcap'], hugepages: { amount: '256Mi' } },
      export: { natsUrl: 'nats://n:4222' },
    };
    const c = container(renderPolicy(policy('replay', spec), settings()));
    expect(c.securityContext.capabilities).toEqual({ drop: ['ALL'], add: ['IPC_LOCK', 'SYS_NICE'] });
    expect(vdevUsesAfPacket('net_af_packet0,iface=eth0')).toBe(true);
    expect(vdevUsesAfPacket('net_af_packet12')).toBe(true);
    expect(vdevUsesAfPacket('net_pcap0,iface=eth0')).toBe(true);
    expect(vdevUsesAfPacket('net_pcap1,rx_pcap=/a.pcap,tx_iface=eth1')).toBe(true);
    expect(vdevUsesAfPacket('net_pcap0,rx_pcap=/data/replay.pcap')).toBe(false);
    expect(vdevUsesAfPacket('net_null0')).toBe(false);
    expect(vdevUsesAfPacket('net_af_packetx0')).toBe(false);
  });

  it('DPDK on net_af_xdp: NET_RAW, NET_ADMIN and SYS_ADMIN besides the EAL\'s, and only then', () => {
    const spec = {
      capture: { backend: 'dpdk', vdevs: ['net_af_xdp0,iface=eth0,start_queue=0,queue_count=1'], hugepages: { amount: '256Mi' } },
      export: { natsUrl: 'nats://n:4222' },
    };
    const c = container(renderPolicy(policy('xdp', spec), settings()));
    expect(c.securityContext.capabilities).toEqual({ drop: ['ALL'], add: ['IPC_LOCK', 'SYS_NICE', 'NET_RAW', 'NET_ADMIN', 'SYS_ADMIN'] });
    expect(c.securityContext.privileged).toBe(false);
    expect(vdevUsesAfXdp('net_af_xdp0,iface=eth0')).toBe(true);
    expect(vdevUsesAfXdp('net_af_xdp3')).toBe(true);
    expect(vdevUsesAfXdp('net_af_xdpx0')).toBe(false);
    expect(vdevUsesAfXdp('net_af_packet0,iface=eth0')).toBe(false);
  });

  it('never privileged unless asked, even when allowed', () => {
    expect(renderPolicy(policy('edge-taps', AFPACKET_SPEC), settings({ allowPrivileged: true })).daemonSet.spec.template.spec.containers[0]!.securityContext.privileged).toBe(false);
  });

  it('every pod: RuntimeDefault seccomp, no service-account token, NODE_NAME from the downward API, config read-only', () => {
    for (const d of [afpacket(), dpdk()]) {
      const pod = d.daemonSet.spec.template.spec;
      expect(pod.securityContext).toEqual({ seccompProfile: { type: 'RuntimeDefault' } });
      expect(pod.automountServiceAccountToken).toBe(false);
      expect(d.serviceAccount.automountServiceAccountToken).toBe(false);
      expect(container(d).env[0]).toEqual({ name: 'NODE_NAME', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } });
      expect(container(d).volumeMounts[0]).toEqual({ name: 'config', mountPath: '/etc/tapline', readOnly: true });
      expect(container(d).args).toEqual(['agent', '--config', '/etc/tapline/agent.json']);
    }
  });

  it('defaults CPU to one per worker plus one, and memory to 1Gi', () => {
    expect(container(afpacket()).resources.requests).toEqual({ cpu: '3', memory: '1Gi' });
  });

  it('uses the policy\'s metrics port for the container port and probes', () => {
    const d = renderPolicy(policy('p', { ...AFPACKET_SPEC, metricsPort: 9555 }), settings());
    expect(container(d).ports).toEqual([{ name: 'metrics', containerPort: 9555, protocol: 'TCP' }]);
    expect(container(d).readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'metrics' });
    expect(d.agentConfig.metrics.port).toBe(9555);
  });
});
