// How a flow and an alert read back from the stream are shown: one table line each (both ends'
// identities, `ns/pod (Deployment/web)`, `service ns/name`, `node n1`, `external`, or the address
// alone when the batch was not enriched) and the JSON objects of `-o jsonl` / `-o json`.
import type { AlertMessage, ExportedFlowRecord, FlowBatch } from '../../agent/export/payload-schemas.js';
import type { Endpoint } from '../../agent/identity/endpoint.js';
import { protoName, thousands } from '../format.js';

const PORT_PROTOS = new Set([6, 17, 132]);

/** What an end is in Kubernetes terms, short; empty when unknown or not enriched. */
export function identityLabel(e: Endpoint | undefined): string {
  if (e === undefined) return '';
  switch (e.kind) {
    case 'pod': {
      const pod = e.namespace ? `${e.namespace}/${e.pod ?? '?'}` : (e.pod ?? 'pod');
      return e.workload ? `${pod} (${e.workload.kind}/${e.workload.name})` : pod;
    }
    case 'service':
      return `service ${e.service ?? e.namespace ?? ''}`.trimEnd();
    case 'node':
      return `node ${e.node ?? ''}`.trimEnd();
    case 'external':
      return 'external';
    case 'unknown':
      return '';
  }
}

/** The workload an end belongs to, for top talkers: `ns/Kind/name`, the pod, or what it is. */
export function workloadKey(e: Endpoint | undefined, addr: string): string {
  if (e === undefined) return addr;
  if (e.kind === 'unknown') return `${addr} (unknown)`;
  switch (e.kind) {
    case 'pod':
      return e.workload ? `${e.namespace ?? '?'}/${e.workload.kind}/${e.workload.name}` : `${e.namespace ?? '?'}/${e.pod ?? '?'}`;
    case 'service':
      return `service ${e.service ?? '?'}`;
    case 'node':
      return `node ${e.node ?? addr}`;
    case 'external':
      return 'external';
  }
}

function hostPort(addr: string, port: number, proto: number): string {
  if (!PORT_PROTOS.has(proto)) return addr;
  return addr.includes(':') ? `[${addr}]:${port}` : `${addr}:${port}`;
}

/** `10.0.0.5:43210 default/web-1 (Deployment/web)`, or the address alone. */
export function endpointText(addr: string, port: number, proto: number, e: Endpoint | undefined): string {
  const id = identityLabel(e);
  const hp = hostPort(addr, port, proto);
  return id ? `${hp} ${id}` : hp;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** `May 01 10:00:00.123` (UTC). */
export function shortTime(iso: string | Date): string {
  const d = typeof iso === 'string' ? new Date(iso) : iso;
  if (Number.isNaN(d.getTime())) return String(iso);
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${MONTHS[d.getUTCMonth()]} ${p(d.getUTCDate())} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}.${p(d.getUTCMilliseconds(), 3)}`;
}

/** Microseconds as `850us`, `1.24ms`, `2.5s`. */
export function micros(us: number | undefined): string {
  if (us === undefined) return '-';
  if (us < 1000) return `${us}us`;
  if (us < 1_000_000) return `${(us / 1000).toFixed(us < 10_000 ? 2 : 1)}ms`;
  return `${(us / 1e6).toFixed(2)}s`;
}

const FLAG_LETTERS: Array<[number, string]> = [[2, 'S'], [16, 'A'], [1, 'F'], [4, 'R'], [8, 'P']];

function tcpFlags(f: number): string {
  return FLAG_LETTERS.filter(([bit]) => (f & bit) !== 0).map(([, l]) => l).join('') || '-';
}

/** The TCP latency cell: handshake (server side), smallest RTT, retransmits; empty when not measured. */
export function latencyText(r: ExportedFlowRecord): string {
  const parts: string[] = [];
  if (r.tcpHandshakeServerUs !== undefined) parts.push(`hs=${micros(r.tcpHandshakeServerUs)}`);
  if (r.tcpRttMinUs !== undefined) parts.push(`rtt=${micros(r.tcpRttMinUs)}`);
  const retx = (r.tcpRetransmits ?? 0) + (r.revTcpRetransmits ?? 0);
  if (r.tcpRetransmits !== undefined || r.revTcpRetransmits !== undefined) parts.push(`retx=${retx}`);
  return parts.join(' ');
}

// Table columns: fixed widths (a stream is printed as it is read, so rows cannot be measured first);
// a longer cell pushes the rest of its line right.
const FLOW_COLUMNS: Array<[string, number]> = [
  ['TIME (UTC)', 19],
  ['NODE', 12],
  ['SOURCE', 44],
  ['DESTINATION', 44],
  ['PROTO', 6],
  ['FLAGS', 9],
  ['PKTS →/←', 13],
  ['BYTES →/←', 17],
  ['END', 8],
  ['TCP LATENCY', 0],
];

function line(cells: string[], widths: Array<[string, number]>): string {
  return cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]![1]))).join(' ').trimEnd();
}

export function flowTableHeader(): string {
  return line(FLOW_COLUMNS.map(([h]) => h), FLOW_COLUMNS);
}

export function flowTableRow(batch: Pick<FlowBatch, 'node'>, r: ExportedFlowRecord): string {
  const flags = r.proto === 6 ? `${tcpFlags(r.tcpFlags)}/${tcpFlags(r.revTcpFlags)}` : '';
  return line(
    [
      shortTime(r.start),
      batch.node,
      endpointText(r.srcAddr, r.srcPort, r.proto, r.src),
      endpointText(r.dstAddr, r.dstPort, r.proto, r.dst),
      PORT_PROTOS.has(r.proto) || r.proto === 1 || r.proto === 58 ? protoName(r.proto) : String(r.proto),
      flags,
      `${thousands(r.packets)}/${thousands(r.revPackets)}`,
      `${thousands(r.bytes)}/${thousands(r.revBytes)}`,
      r.endReason,
      latencyText(r),
    ],
    FLOW_COLUMNS,
  );
}

const ALERT_COLUMNS: Array<[string, number]> = [
  ['TIME (UTC)', 19],
  ['NODE', 12],
  ['TYPE', 13],
  ['STATE', 8],
  ['KEY', 24],
  ['DETAIL', 0],
];

export function alertTableHeader(): string {
  return line(ALERT_COLUMNS.map(([h]) => h), ALERT_COLUMNS);
}

/** What an alert measured, or a heavy-hitters report's top entries. */
export function alertDetail(a: AlertMessage, topEntries = 3): string {
  if (a.type === 'heavy_hitters') {
    return (a.top ?? []).slice(0, topEntries).map((t) => `${t.addr} (${t.direction}) ${thousands(BigInt(t.bytes))} B`).join(', ') || '-';
  }
  const rel = a.state === 'resolved' ? 'last' : '>';
  const value = `${a.metric} ${thousands(Math.round(a.observed))}`;
  return `${a.state === 'resolved' ? `${value} (${rel} over ${thousands(a.threshold)})` : `${value} ${rel} ${thousands(a.threshold)}`} window ${a.windowMs / 1000}s, since ${shortTime(a.firstSeen)}`;
}

export function alertKey(a: AlertMessage): string {
  return a.key.dst ? `dst ${a.key.dst}` : a.key.src ? `src ${a.key.src}` : '-';
}

export function alertTableRow(a: AlertMessage): string {
  return line([shortTime(a.lastSeen), a.node, a.type, a.state, alertKey(a), alertDetail(a)], ALERT_COLUMNS);
}

/**
 * One line of `-o jsonl` (an element of `-o json`) for a flow: the exported record unchanged under
 * `flow`, with the batch's node and policy and the time the stream stored the batch.
 */
export function flowJson(batch: Pick<FlowBatch, 'node' | 'policy'>, r: ExportedFlowRecord, time: Date, streamSeq: number): object {
  return { flow: r, node: batch.node, policy: batch.policy, time: time.toISOString(), streamSeq };
}

/** An alert: the published alert message unchanged under `alert` (it names its node and policy). */
export function alertJson(a: AlertMessage, time: Date, streamSeq: number): object {
  return { alert: a, node: a.node, policy: a.policy, time: time.toISOString(), streamSeq };
}
