// What the demo shows of its workloads' flows at the end: read back from the stream (as
// `tapline observe --workload Deployment/client` would), counted by what the other end is, with a
// few rows in `tapline observe`'s table format.
import { FlowBatchSchema, type ExportedFlowRecord, type FlowBatch } from '../../agent/export/payload-schemas.js';
import { flowTableHeader, flowTableRow } from '../../cli/flows/format.js';
import { readStream } from '../nats/stream-reader.js';
import { DEMO_NAMESPACE } from './policy.js';

export interface WorkloadFlows {
  /** Records from a client pod to a web pod (named with the Service that selects it). */
  clientToWebPod: number;
  /** Records from a client pod to the web Service's cluster IP. */
  clientToService: number;
  clientToExternal: number;
  /** Client records with both handshake times. */
  withHandshake: number;
  examples: string[];
}

const isClient = (r: ExportedFlowRecord) => r.src?.kind === 'pod' && r.src.namespace === DEMO_NAMESPACE && r.src.workload?.kind === 'Deployment' && r.src.workload.name === 'client';

export async function workloadFlows(url: string, stream: string, subjectPrefix: string): Promise<WorkloadFlows> {
  const out: WorkloadFlows = { clientToWebPod: 0, clientToService: 0, clientToExternal: 0, withHandshake: 0, examples: [] };
  const shown = new Set<string>();
  const rows: string[] = [];
  for (const m of await readStream(url, stream)) {
    if (!m.subject.startsWith(`${subjectPrefix}.`) || !m.subject.includes('.flows.')) continue;
    const b: FlowBatch = FlowBatchSchema.parse(m.json());
    for (const r of b.records.filter(isClient)) {
      const d = r.dst;
      const kind = d?.kind === 'pod' && d.workload?.name === 'web' && d.service === `${DEMO_NAMESPACE}/web` ? 'web' : d?.kind === 'service' && d.service === `${DEMO_NAMESPACE}/web` ? 'service' : d?.kind === 'external' ? 'external' : undefined;
      if (kind === 'web') out.clientToWebPod++;
      else if (kind === 'service') out.clientToService++;
      else if (kind === 'external') out.clientToExternal++;
      if (r.tcpHandshakeServerUs !== undefined && r.tcpHandshakeClientUs !== undefined) out.withHandshake++;
      // one row per kind of peer, the first with latency where there is one
      const key = `${kind}:${r.tcpHandshakeServerUs !== undefined}`;
      if (kind && !shown.has(key) && rows.length < 4) {
        shown.add(key);
        rows.push(flowTableRow(b, r));
      }
    }
  }
  out.examples = rows.length ? [flowTableHeader(), ...rows] : ['(no flow of Deployment/client in the stream)'];
  return out;
}
