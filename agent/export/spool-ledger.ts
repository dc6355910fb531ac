// What a killed agent lost, told by the next start. Next to the disk spool's files, one small file
// (spool-state.json) says how many messages and records were only in memory (the spool's memory
// tier, disk files not yet written, publishes waiting for their acknowledgement or a retry), with
// no complete file on disk: what a SIGKILL (OOM kill, node drain past the grace period) would lose
// at that moment. Messages taken from the disk tier keep their files until the stream acknowledges
// them (disk-spool.ts), so they are not counted: the next start sends those files again and the
// stream's duplicate window drops the ones it already stored. The publisher
// rewrites it every second while the exporter runs, and marks it stopped at close() (a stop
// reports its own undelivered records in the agent's exit summary). A start that finds it still
// "running" knows the previous process was killed and reports its last checkpoint: at most that
// many records are lost (messages sent before the kill, in flight or awaiting a retry, may have
// been stored by the server: they are counted apart, as maybe stored), as of at most one
// checkpoint interval before the kill; what arrived in
// memory after the last checkpoint is not in it (while NATS is away, as in the outage a kill
// matters for, the memory tier is full and the count stands still).
//
// The file is written asynchronously (a temporary name, then a rename), a few hundred bytes once
// a second; the start reads it synchronously, before capture begins (as the spool's files).
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { rename, writeFile } from 'node:fs/promises';
import path from 'node:path';

import { z } from 'zod';

export const LEDGER_FILE = 'spool-state.json';
/** How often the publisher checkpoints (ms). */
export const LEDGER_INTERVAL_MS = 1000;

const LedgerSchema = z.strictObject({
  version: z.literal(1),
  state: z.enum(['running', 'stopped']),
  pid: z.int(),
  at: z.string(),
  memoryMessages: z.int().nonnegative(),
  memoryRecords: z.int().nonnegative(),
  /** Of those, sent at least once (in flight or waiting for a retry): the server may have stored them. */
  sentMessages: z.int().nonnegative(),
  sentRecords: z.int().nonnegative(),
});
type Ledger = z.output<typeof LedgerSchema>;

/** The previous process's last checkpoint, when it was killed (did not reach close()). */
export interface LostAtStart {
  messages: number;
  records: number;
  /** Of those, sent at least once before the kill: possibly stored after all (so `records` is an upper bound). */
  sentMessages: number;
  sentRecords: number;
  /** When the previous process wrote its last checkpoint (ISO 8601). */
  checkpointAt: string;
  pid: number;
}

export interface HeldInMemory {
  messages: number;
  records: number;
  /** Of those, sent at least once (the publisher's: in flight, waiting for a retry). */
  sentMessages: number;
  sentRecords: number;
}

export class SpoolLedger {
  private readonly file: string;
  private writing = false;
  private stoppedMarked = false;
  /** The previous run's state file could not be read (it is replaced). */
  readonly damaged: boolean;
  /** Set when the previous process was killed (its ledger still said running). */
  readonly lostAtStart: LostAtStart | undefined;

  constructor(dir: string) {
    this.file = path.join(dir, LEDGER_FILE);
    let previous: Ledger | undefined;
    let damaged = false;
    try {
      previous = LedgerSchema.parse(JSON.parse(readFileSync(this.file, 'utf8')));
    } catch (err) {
      damaged = (err as NodeJS.ErrnoException).code !== 'ENOENT';
    }
    this.damaged = damaged;
    this.lostAtStart =
      previous?.state === 'running'
        ? {
            messages: previous.memoryMessages,
            records: previous.memoryRecords,
            sentMessages: previous.sentMessages,
            sentRecords: previous.sentRecords,
            checkpointAt: previous.at,
            pid: previous.pid,
          }
        : undefined;
  }

  /** Writes the running state (in the background; a checkpoint still being written is skipped). */
  checkpoint(held: HeldInMemory): void {
    if (this.writing || this.stoppedMarked) return;
    this.writing = true;
    const tmp = `${this.file}.${process.pid}.tmp`;
    const text = this.text('running', held);
    void writeFile(tmp, text)
      .then(() => (this.stoppedMarked ? rm(tmp) : rename(tmp, this.file)))
      .catch(() => undefined) // a checkpoint that cannot be written is only a worse report
      .finally(() => (this.writing = false));
  }

  /** Marks the state stopped (synchronously: the process may exit next). */
  stopped(): void {
    if (this.stoppedMarked) return;
    this.stoppedMarked = true;
    const tmp = `${this.file}.${process.pid}.stop.tmp`;
    try {
      writeFileSync(tmp, this.text('stopped', { messages: 0, records: 0, sentMessages: 0, sentRecords: 0 }));
      renameSync(tmp, this.file);
    } catch {
      // the volume is gone: the next start reports nothing, as after a clean stop
    }
  }

  private text(state: Ledger['state'], held: HeldInMemory): string {
    const l: Ledger = {
      version: 1,
      state,
      pid: process.pid,
      at: new Date().toISOString(),
      memoryMessages: held.messages,
      memoryRecords: held.records,
      sentMessages: held.sentMessages,
      sentRecords: held.sentRecords,
    };
    return `${JSON.stringify(l)}\n`;
  }
}

function rm(f: string): Promise<void> {
  rmSync(f, { force: true });
  return Promise.resolve();
}
