// Two policies claiming one device on one node. A device is an AF_PACKET interface name, a
// DPDK PCI address, or the host port of an AF_PACKET agent's metrics (it runs in the host
// network, so a second agent on the same port could never start); an SR-IOV resource is not a
// device claim (the device plugin hands each pod its own VF). Rule: the OLDER policy (creationTimestamp, then namespace/name) keeps the device;
// the newer one reports InterfaceConflict and its agent is kept off those nodes, so no node ever
// runs two captures on one NIC and a new policy never displaces a running one. When the older
// policy goes away or stops claiming the device, the newer one is deployed there.
import type { SnifferPolicy } from '../api/policy.js';
import type { Conflict } from '../api/status.js';
import { selectsNode } from './node-selection.js';
import type { ObservedNode } from './observed.js';

export const MAX_LISTED_CONFLICTS = 64;

/** The device name of an agent's metrics port in the host network. */
export const hostPortDevice = (port: number): string => `hostPort/${port}`;

/** The devices a policy claims on each node it selects. */
export function claimedDevices(p: SnifferPolicy): string[] {
  const c = p.spec.capture;
  if (c.backend === 'afpacket') return [...(c.interfaces ?? []), hostPortDevice(p.spec.metricsPort)];
  return [...(c.pciAddresses ?? [])];
}

function policyKey(p: SnifferPolicy): string {
  return `${p.metadata.namespace}/${p.metadata.name}`;
}

function created(p: SnifferPolicy): string {
  return String((p.metadata as { creationTimestamp?: unknown }).creationTimestamp ?? '');
}

/** Negative when `a` was there first (and so keeps contested devices). */
export function precedence(a: SnifferPolicy, b: SnifferPolicy): number {
  const ca = created(a);
  const cb = created(b);
  if (ca !== cb) return ca < cb ? -1 : 1;
  return policyKey(a) < policyKey(b) ? -1 : policyKey(a) > policyKey(b) ? 1 : 0;
}

export interface ConflictView {
  /** Devices of this policy an earlier policy holds, per node (capped for status). */
  lost: Conflict[];
  /** Every node where this policy loses a device: its agent must not run there. */
  excludedNodes: string[];
  /** Policies this one keeps a device from (namespace/name), for the message. */
  winsOver: string[];
}

/**
 * The conflicts of `self` with `others` (valid policies in watched namespaces, self excluded).
 * Cost: only policies sharing a device name with `self` are matched against the nodes.
 */
export function conflictsOf(self: SnifferPolicy, others: SnifferPolicy[], nodes: ObservedNode[]): ConflictView {
  const mine = new Set(claimedDevices(self));
  const rivals = others
    .map((o) => ({ o, shared: claimedDevices(o).filter((d) => mine.has(d)) }))
    .filter((r) => r.shared.length > 0);
  const view: ConflictView = { lost: [], excludedNodes: [], winsOver: [] };
  if (!rivals.length) return view;
  const selected = nodes.filter((n) => selectsNode(self.spec, n));
  const excluded = new Set<string>();
  const winsOver = new Set<string>();
  const lost: Conflict[] = [];
  for (const { o, shared } of rivals) {
    const earlier = precedence(o, self) < 0;
    for (const n of selected) {
      if (!selectsNode(o.spec, n)) continue;
      if (!earlier) {
        winsOver.add(policyKey(o));
        continue;
      }
      excluded.add(n.metadata.name);
      for (const d of shared) lost.push({ nodeName: n.metadata.name, device: d, policy: policyKey(o) });
    }
  }
  lost.sort((a, b) => (a.nodeName + a.device + a.policy < b.nodeName + b.device + b.policy ? -1 : 1));
  view.lost = lost.slice(0, MAX_LISTED_CONFLICTS);
  view.excludedNodes = [...excluded].sort();
  view.winsOver = [...winsOver].sort();
  return view;
}
