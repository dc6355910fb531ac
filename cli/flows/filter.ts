// Which flows and alerts `tapline observe` and `tapline top` show. Filters of different fields AND
// together; a flag given several times ORs its values (--port 53 --port 443: either port).
//
//   in the subject (the server filters, then the content is checked too, since making a name a
//   subject token is lossy):
//     --node N         the capturing node (the agent's NODE_NAME)
//     --policy [NS/]P  the SnifferPolicy that captured it (any namespace without NS/)
//   on the content, either end of the flow (src or dst):
//     --namespace NS   the end's Kubernetes namespace (a pod's, a service's)
//     --pod [NS/]POD   the end's pod
//     --workload [KIND/]NAME   the end's workload (Deployment/web, or web of any kind; KIND is
//                      matched without regard to case)
//     --ip A | CIDR    the end's address, or an address in the block
//     --port N         the end's port (TCP, UDP, SCTP only: ICMP types are not ports)
//     --proto P        tcp, udp, icmp, icmpv6, sctp or a protocol number
import { BlockList, isIP } from 'node:net';

import { subjectToken } from '../../agent/config/schema.js';
import type { AlertMessage, ExportedFlowRecord, FlowBatch } from '../../agent/export/payload-schemas.js';
import type { Endpoint } from '../../agent/identity/endpoint.js';
import { PROTO_NAMES } from '../format.js';
import { UsageError } from '../usage-error.js';

export const FILTER_OPTIONS = {
  node: { type: 'string', multiple: true },
  policy: { type: 'string', multiple: true },
  namespace: { type: 'string', multiple: true, short: 'n' },
  pod: { type: 'string', multiple: true },
  workload: { type: 'string', multiple: true },
  ip: { type: 'string', multiple: true },
  port: { type: 'string', multiple: true },
  proto: { type: 'string', multiple: true },
} as const;

export const FILTER_USAGE = `filters (different flags AND together; a flag given twice ORs its values):
      --node N             captured on node N
      --policy [NS/]NAME   captured by this SnifferPolicy
  -n, --namespace NS       either end is in namespace NS
      --pod [NS/]POD       either end is this pod
      --workload [KIND/]NAME
                           either end belongs to this workload (Deployment/web)
      --ip ADDR|CIDR       either end's address is ADDR or in CIDR
      --port N             either end's port is N (TCP, UDP, SCTP)
      --proto P            tcp, udp, icmp, icmpv6, sctp or a number
`;

export type FilterFlags = { [K in keyof typeof FILTER_OPTIONS]?: string[] | undefined };

interface Named {
  namespace?: string | undefined;
  name: string;
}

export interface FlowFilter {
  nodes: string[];
  policies: Named[];
  namespaces: string[];
  pods: Named[];
  workloads: Array<{ kind?: string | undefined; name: string }>;
  /** The --ip values as given, and a block list that holds them. */
  ips: string[];
  ipList: BlockList | undefined;
  ports: number[];
  protos: number[];
}

const PROTO_NUMBERS = new Map(Object.entries(PROTO_NAMES).map(([n, name]) => [name, Number(n)]));
const PORT_PROTOS = new Set([6, 17, 132]);

function named(flag: string, s: string): Named {
  const parts = s.split('/');
  if (parts.some((p) => p.length === 0) || parts.length > 2) throw new UsageError(`${flag}: ${JSON.stringify(s)} is not NAME or NAMESPACE/NAME`);
  return parts.length === 2 ? { namespace: parts[0], name: parts[1]! } : { name: parts[0]! };
}

function nonEmpty(flag: string, s: string): string {
  if (s.length === 0) throw new UsageError(`${flag}: must not be empty`);
  return s;
}

/** The filter from parsed flags; throws UsageError naming the flag of a bad value. */
export function flowFilter(v: FilterFlags): FlowFilter {
  const f: FlowFilter = {
    nodes: (v.node ?? []).map((s) => nonEmpty('--node', s)),
    policies: (v.policy ?? []).map((s) => named('--policy', s)),
    namespaces: (v.namespace ?? []).map((s) => nonEmpty('--namespace', s)),
    pods: (v.pod ?? []).map((s) => named('--pod', s)),
    workloads: (v.workload ?? []).map((s) => {
      const w = named('--workload', s);
      return { kind: w.namespace, name: w.name };
    }),
    ips: v.ip ?? [],
    ipList: undefined,
    ports: (v.port ?? []).map((s) => {
      const n = Number(s);
      if (!/^\d+$/.test(s) || n > 65535) throw new UsageError(`--port: ${JSON.stringify(s)} is not a port number (0-65535)`);
      return n;
    }),
    protos: (v.proto ?? []).map((s) => {
      const byName = PROTO_NUMBERS.get(s.toLowerCase());
      if (byName !== undefined) return byName;
      const n = Number(s);
      if (!/^\d+$/.test(s) || n > 255) throw new UsageError(`--proto: ${JSON.stringify(s)} is not ${[...PROTO_NUMBERS.keys()].join(', ')} or a number 0-255`);
      return n;
    }),
  };
  if (f.ips.length > 0) {
    const list = new BlockList();
    for (const s of f.ips) {
      const [addr, bits, extra] = s.split('/');
      const family = isIP(addr ?? '');
      const max = family === 6 ? 128 : 32;
      if (family === 0 || extra !== undefined || (bits !== undefined && (!/^\d+$/.test(bits) || Number(bits) > max))) {
        throw new UsageError(`--ip: ${JSON.stringify(s)} is not an IP address or CIDR block`);
      }
      const type = family === 6 ? 'ipv6' : 'ipv4';
      if (bits === undefined) list.addAddress(addr!, type);
      else list.addSubnet(addr!, Number(bits), type);
    }
    f.ipList = list;
  }
  return f;
}

/** Filters that only flows have (an alert has no ends' identities, ports or protocol). */
export function flowOnlyFlags(f: FlowFilter): string[] {
  const out: string[] = [];
  if (f.namespaces.length) out.push('--namespace');
  if (f.pods.length) out.push('--pod');
  if (f.workloads.length) out.push('--workload');
  if (f.ports.length) out.push('--port');
  if (f.protos.length) out.push('--proto');
  return out;
}

/**
 * The stream subjects to consume: `PREFIX.NS.POLICY.KIND.NODE` with `*` for what is not filtered,
 * one per policy and node asked for.
 */
export function subjectFilters(prefix: string, kinds: ReadonlyArray<'flows' | 'alerts'>, f: FlowFilter): string[] {
  const policies = f.policies.length ? f.policies.map((p) => `${p.namespace === undefined ? '*' : subjectToken(p.namespace)}.${subjectToken(p.name)}`) : ['*.*'];
  const nodes = f.nodes.length ? [...new Set(f.nodes.map(subjectToken))] : ['*'];
  const out: string[] = [];
  for (const kind of kinds) for (const p of new Set(policies)) for (const n of nodes) out.push(`${prefix}.${p}.${kind}.${n}`);
  return out;
}

function sourceMatches(f: FlowFilter, node: string, policy: { namespace: string; name: string }): boolean {
  if (f.nodes.length && !f.nodes.includes(node)) return false;
  if (f.policies.length && !f.policies.some((p) => p.name === policy.name && (p.namespace === undefined || p.namespace === policy.namespace))) return false;
  return true;
}

/** Whether a batch's node and policy pass (the subject filter is lossy; this is exact). */
export function batchMatches(f: FlowFilter, b: Pick<FlowBatch, 'node' | 'policy'>): boolean {
  return sourceMatches(f, b.node, b.policy);
}

const endNamespace = (e: Endpoint | undefined): string | undefined => e?.namespace ?? e?.service?.split('/')[0];

function ipMatches(list: BlockList, addr: string): boolean {
  return list.check(addr, isIP(addr) === 6 ? 'ipv6' : 'ipv4');
}

/** Whether a record passes the content filters (the batch's were checked with batchMatches). */
export function recordMatches(f: FlowFilter, r: ExportedFlowRecord): boolean {
  if (f.protos.length && !f.protos.includes(r.proto)) return false;
  if (f.ports.length && !(PORT_PROTOS.has(r.proto) && (f.ports.includes(r.srcPort) || f.ports.includes(r.dstPort)))) return false;
  if (f.ipList && !(ipMatches(f.ipList, r.srcAddr) || ipMatches(f.ipList, r.dstAddr))) return false;
  const ends = [r.src, r.dst];
  if (f.namespaces.length && !ends.some((e) => { const ns = endNamespace(e); return ns !== undefined && f.namespaces.includes(ns); })) return false;
  if (f.pods.length && !ends.some((e) => e?.pod !== undefined && f.pods.some((p) => p.name === e.pod && (p.namespace === undefined || p.namespace === e.namespace)))) return false;
  if (
    f.workloads.length &&
    !ends.some((e) => e?.workload !== undefined && f.workloads.some((w) => w.name === e.workload!.name && (w.kind === undefined || w.kind.toLowerCase() === e.workload!.kind.toLowerCase())))
  ) return false;
  return true;
}

/** Whether an alert passes: its node and policy, and with --ip its key's or a heavy hitter's address. */
export function alertMatches(f: FlowFilter, a: AlertMessage): boolean {
  if (!sourceMatches(f, a.node, a.policy)) return false;
  if (f.ipList) {
    const addrs = [a.key.src, a.key.dst, ...(a.top ?? []).map((t) => t.addr)].filter((x): x is string => x !== undefined && isIP(x) !== 0);
    if (!addrs.some((x) => ipMatches(f.ipList!, x))) return false;
  }
  return true;
}
