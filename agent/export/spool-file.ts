// One spooled message as a file (agent/export/disk-spool.ts keeps them): a little-endian u32
// header length, the header (kind, subject, Nats-Msg-Id, schema, records) as JSON, then the payload.
// Damaged files are reported as SpoolError, naming the file.
import { closeSync, openSync, readSync } from 'node:fs';

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

export type SpoolFileHeader = z.output<typeof HeaderSchema>;

/** The start-up scan reads this much of a file for its header (more only for a longer header). */
const HEADER_PEEK_BYTES = 4096;

/** Bytes a message takes on disk. */
export function fileBytes(m: OutboundMessage): number {
  return 4 + Buffer.byteLength(JSON.stringify(header(m))) + m.payload.length;
}

function header(m: OutboundMessage): z.input<typeof HeaderSchema> {
  return { kind: m.kind, subject: m.subject, msgId: m.msgId, schema: m.schema, records: m.records };
}

/** The file's bytes, in a buffer of its own (`alloc`: an ArrayBuffer of at least n bytes), so that it can be moved to the worker. */
export function encodeFile(m: OutboundMessage, alloc: (n: number) => ArrayBuffer = (n) => new ArrayBuffer(n)): Buffer {
  const h = Buffer.from(JSON.stringify(header(m)));
  const n = 4 + h.length + m.payload.length;
  const out = Buffer.from(alloc(n), 0, n);
  out.writeUInt32LE(h.length, 0);
  h.copy(out, 4);
  out.set(m.payload, 4 + h.length);
  return out;
}

export function decode(data: Buffer, file: string): OutboundMessage {
  try {
    const hlen = data.readUInt32LE(0);
    const h = HeaderSchema.parse(JSON.parse(data.subarray(4, 4 + hlen).toString('utf8')));
    return { ...h, payload: data.subarray(4 + hlen) };
  } catch (err) {
    throw new SpoolError(`spool file ${file} is damaged: ${(err as Error).message}`, { cause: err });
  }
}

/** A file's header, reading only the start of the file (start-up scan). */
export function readHeader(file: string): z.output<typeof HeaderSchema> {
  try {
    const fd = openSync(file, 'r');
    try {
      const head = Buffer.alloc(HEADER_PEEK_BYTES);
      const n = readSync(fd, head, 0, head.length, 0);
      const hlen = head.readUInt32LE(0);
      let json: Buffer;
      if (4 + hlen <= n) {
        json = head.subarray(4, 4 + hlen);
      } else {
        json = Buffer.alloc(hlen);
        if (readSync(fd, json, 0, hlen, 4) !== hlen) throw new Error('header cut short');
      }
      return HeaderSchema.parse(JSON.parse(json.toString('utf8')));
    } finally {
      closeSync(fd);
    }
  } catch (err) {
    throw new SpoolError(`spool file ${file} is damaged: ${(err as Error).message}`, { cause: err });
  }
}
