// The disk tier of the spool: one file per message in a directory on the pod's volume, named by
// a counter so the directory order is the send order. A file is
//   u32le header length | header JSON (kind, subject, msgId, schema, records) | payload
// written to a temporary name and renamed, so a crash leaves whole messages only. Files left by
// an earlier run of the agent are picked up at start and sent first (their msg ids are kept).
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';

import { z } from 'zod';

import { SpoolError } from './errors.js';
import type { OutboundMessage } from './message.js';

const HeaderSchema = z.strictObject({
  kind: z.enum(['flows', 'alerts']),
  subject: z.string().min(1),
  msgId: z.string().min(1),
  schema: z.string().min(1),
  records: z.int().nonnegative(),
});

export interface DiskEntry {
  file: string;
  bytes: number;
  records: number;
  kind: OutboundMessage['kind'];
}

const NAME = /^(\d{16})\.msg$/;

export class DiskSpool {
  private readonly entries: DiskEntry[] = [];
  private head = 0;
  private counter = 0;
  private used = 0;
  /** Files of an earlier run that could not be read back (renamed *.damaged). */
  damaged = 0;

  constructor(private readonly dir: string) {
    try {
      mkdirSync(dir, { recursive: true });
      for (const name of readdirSync(dir).sort()) {
        const full = path.join(dir, name);
        if (name.endsWith('.tmp')) {
          rmSync(full, { force: true });
          continue;
        }
        const m = NAME.exec(name);
        if (!m) continue;
        const bytes = statSync(full).size;
        let header: z.output<typeof HeaderSchema>;
        try {
          header = this.readHeader(full);
        } catch {
          renameSync(full, `${full}.damaged`); // kept for inspection, never sent
          this.damaged++;
          continue;
        }
        this.entries.push({ file: full, bytes, records: header.records, kind: header.kind });
        this.used += bytes;
        this.counter = Math.max(this.counter, Number(m[1]) + 1);
      }
    } catch (err) {
      if (err instanceof SpoolError) throw err;
      throw new SpoolError(`spool directory ${dir}: ${(err as Error).message}`, { cause: err });
    }
  }

  get length(): number {
    return this.entries.length - this.head;
  }
  get bytes(): number {
    return this.used;
  }
  /** Records in the files waiting. */
  get records(): number {
    let n = 0;
    for (let i = this.head; i < this.entries.length; i++) n += this.entries[i]!.records;
    return n;
  }
  /** Bytes a message takes on disk. */
  static sizeOf(m: OutboundMessage): number {
    return 4 + Buffer.byteLength(JSON.stringify(header(m))) + m.payload.length;
  }

  peek(): DiskEntry | undefined {
    return this.entries[this.head];
  }

  append(m: OutboundMessage): void {
    const h = Buffer.from(JSON.stringify(header(m)));
    const len = Buffer.allocUnsafe(4);
    len.writeUInt32LE(h.length, 0);
    const file = path.join(this.dir, `${String(this.counter++).padStart(16, '0')}.msg`);
    try {
      writeFileSync(`${file}.tmp`, Buffer.concat([len, h, m.payload]));
      renameSync(`${file}.tmp`, file);
    } catch (err) {
      rmSync(`${file}.tmp`, { force: true });
      throw new SpoolError(`cannot write spool file ${file}: ${(err as Error).message}`, { cause: err });
    }
    const bytes = 4 + h.length + m.payload.length;
    this.entries.push({ file, bytes, records: m.records, kind: m.kind });
    this.used += bytes;
  }

  /** Reads and removes the oldest message. */
  shift(): OutboundMessage | undefined {
    const e = this.entries[this.head];
    if (!e) return undefined;
    let data: Buffer;
    try {
      data = readFileSync(e.file);
    } catch (err) {
      throw new SpoolError(`cannot read spool file ${e.file}: ${(err as Error).message}`, { cause: err });
    }
    const hlen = data.readUInt32LE(0);
    const h = HeaderSchema.parse(JSON.parse(data.subarray(4, 4 + hlen).toString('utf8')));
    this.drop();
    return { ...h, payload: data.subarray(4 + hlen) };
  }

  /** Removes the oldest message unread (spool full, drop oldest). */
  drop(): DiskEntry | undefined {
    const e = this.entries[this.head];
    if (!e) return undefined;
    this.entries[this.head] = undefined as unknown as DiskEntry;
    this.head++;
    if (this.head > 1024 && this.head * 2 > this.entries.length) {
      this.entries.splice(0, this.head);
      this.head = 0;
    }
    this.used -= e.bytes;
    rmSync(e.file, { force: true });
    return e;
  }

  private readHeader(file: string): z.output<typeof HeaderSchema> {
    try {
      const data = readFileSync(file);
      const hlen = data.readUInt32LE(0);
      return HeaderSchema.parse(JSON.parse(data.subarray(4, 4 + hlen).toString('utf8')));
    } catch (err) {
      throw new SpoolError(`spool file ${file} is damaged: ${(err as Error).message}`, { cause: err });
    }
  }
}

function header(m: OutboundMessage): z.input<typeof HeaderSchema> {
  return { kind: m.kind, subject: m.subject, msgId: m.msgId, schema: m.schema, records: m.records };
}
