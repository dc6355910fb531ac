// Where a command's flow records go, batch by batch, until the engine has handed out the last
// one: NATS (--nats), the top-N table (--format table), or JSON lines on stdout. Shared by
// `tapline analyze` and `tapline capture`; throws OutputClosed when stdout's reader goes away.
import type { Engine } from '../../agent/engine/engine.js';
import { TopFlows } from '../analyze/top-flows.js';
import type { NatsOutput } from './nats-output.js';
import { writeStdout } from './stdout.js';

export type FlowOutput =
  /** `paced`: the input can wait for NATS (a file); a live capture cannot. */
  | { kind: 'nats'; nats: NatsOutput; paced: boolean }
  | { kind: 'table'; top: TopFlows }
  | { kind: 'jsonl' };

export async function writeFlows(engine: Engine, out: FlowOutput): Promise<void> {
  switch (out.kind) {
    case 'nats':
      for await (const b of engine.batches('jsonl')) await out.nats.publishFlows(b.data, out.paced);
      return;
    case 'table':
      for await (const b of engine.batches('packed')) out.top.add(b.data);
      return;
    case 'jsonl':
      for await (const b of engine.batches('jsonl')) await writeStdout(b.data);
      return;
  }
}

/** The output the flags ask for: NATS when given, else the format (`top` rows for the table). */
export function flowOutput(nats: NatsOutput | undefined, paced: boolean, format: 'jsonl' | 'table', top: number): FlowOutput {
  if (nats) return { kind: 'nats', nats, paced };
  return format === 'table' ? { kind: 'table', top: new TopFlows(top) } : { kind: 'jsonl' };
}
