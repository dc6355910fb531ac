// The disk tier of the spool: one file per message in a directory on the pod's volume, named by
// a counter so the directory order is the send order. A file is
//   u32le header length | header JSON (kind, subject, msgId, schema, records) | payload
// written to a temporary name and renamed, so a crash leaves whole messages only. Files left by
// an earlier run of the agent are picked up at start and sent first (their msg ids are kept).
//
// While the agent runs, no file is touched on the event loop, nor in libuv's thread pool (where the
// engine's drain calls run): the disk tier is busiest while NATS is away, exactly when the loop
// must keep draining the export rings. A worker thread of the spool's own does the file I/O,
// synchronously and one operation at a time, at the disk's pace:
// - Writes are write-behind. append() queues the message, which stays in memory until the worker
//   says its file is written (open, write, close, rename). Writes happen in queue order, so the
//   files on disk are always a prefix of the queue. The worker is handed at most
//   POSTED_WRITE_BYTES at a time: each file's bytes are copied once, on the event loop, into a
//   buffer that is moved (not copied) to the worker and back, and reused.
// - At most WRITE_BEHIND_BYTES wait to be written. When the disk falls further behind than that,
//   canAppend() says no (backedUp says so for the next message) and the spool refuses the arriving
//   message instead of waiting or growing (spool.ts: dropped and counted, or a capture file waits).
// - Reads are read-ahead. The oldest READ_AHEAD_BYTES of the queue are kept in memory: a message
//   written there keeps its copy, and as the head moves on, the next files are read back by the
//   worker (before any write waiting) and moved to the event loop without a copy. shift() and
//   drop() take the head at once. drop() removes its file (dropped for good); after shift() the
//   file stays until release(): the message is acknowledged by the stream (or dropped for good
//   later), so a process killed between taking a message and its acknowledgement sends the file
//   again at the next start (same Nats-Msg-Id: the stream's duplicate window drops it if it was
//   stored). Until released, a taken message's file counts in heldBytes (the spool counts it
//   against the disk budget). A message taken before it was handed to the worker is never
//   written at all (it is only in memory, as the ledger counts it).
// - The one synchronous read left is a last resort: shift() of a head whose read-ahead has not
//   come back yet (the consumer pulls synchronously and cannot be told to wait). It does not
//   happen while the read-ahead keeps up; syncReads counts it.
// So the disk tier holds at most READ_AHEAD_BYTES + WRITE_BEHIND_BYTES of messages in memory (plus
// one message larger than either), and about POSTED_WRITE_BYTES of copies for the worker.
//
// fsync: never (as before). A file is in the kernel's page cache once its rename is done, which is
// what the spool promises: what one agent process spooled is sent by the next start, also after
// the process is killed. A node crash can lose (or tear) the newest files; a file whose header does
// not read back is set aside as *.damaged at the next start. Messages not yet written when the
// process ends are written first: the busy worker keeps the process alive, and an 'exit' hook
// writes what is left synchronously when process.exit() cuts it short. A SIGKILL loses them (at
// most WRITE_BEHIND_BYTES).
//
// At start the directory is scanned synchronously (names, and each file's header only), before
// capture begins.
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Worker } from 'node:worker_threads';

import { SpoolError } from './errors.js';
import type { OutboundMessage } from './message.js';
import { decode, encodeFile, fileBytes, readHeader, type SpoolFileHeader } from './spool-file.js';

/** Bytes (as on disk) of messages waiting to be written at most; one larger message is let through alone. */
export const WRITE_BEHIND_BYTES = 32 * 1024 * 1024;
/** Of those, bytes handed to the worker thread at a time (copies), and kept in buffers for reuse. */
export const POSTED_WRITE_BYTES = 16 * 1024 * 1024;
/** The oldest bytes (as on disk) of the disk tier kept in memory for the consumer. */
export const READ_AHEAD_BYTES = 16 * 1024 * 1024;

export interface DiskEntry {
  file: string;
  bytes: number;
  records: number;
  kind: OutboundMessage['kind'];
  /** Its message is in memory: taking it reads nothing. */
  resident: boolean;
}

interface Slot {
  file: string;
  bytes: number;
  records: number;
  kind: OutboundMessage['kind'];
  /** The message while it is in memory: waiting to be written, or in the read-ahead window. */
  message: OutboundMessage | undefined;
  /** queued: waiting here; writing: handed to the worker; written: its file is complete. */
  state: 'queued' | 'writing' | 'written';
  reading: boolean;
  /** Taken or dropped: not written if it was still queued. */
  gone: boolean;
  /** Taken by shift() with its file written or being written: the file stays until release(). */
  held: boolean;
  /** Dropped, or released after shift(): its file is removed once written. */
  released: boolean;
  /** Reading it back in the worker failed: shift() reads it itself (and throws what it finds). */
  readFailed: boolean;
}

/** What the worker thread is asked to do (structured clone), and its answer. */
type OpBody = { t: 'write'; file: string; data: ArrayBuffer; length: number } | { t: 'read' | 'unlink'; file: string };
type Op = OpBody & { id: number };
interface Reply {
  id: number;
  error?: string;
  data?: ArrayBuffer;
  length?: number;
}
type Pending = { t: 'write'; slot: Slot } | { t: 'read'; slot: Slot } | { t: 'unlink'; file: string };

const NAME = /^(\d{16})\.msg$/;
/** backedUp() keeps room for a message of at least this size. */
const BACKED_UP_MIN_BYTES = 1024 * 1024;

/** Spools with messages not yet on disk, for the exit hook. */
const unwritten = new Set<DiskSpool>();
let exitHooked = false;

export class DiskSpool {
  private readonly entries: Slot[] = [];
  private head = 0;
  private counter = 0;
  private used = 0;
  private recordCount = 0;
  private readonly writes: Slot[] = []; // queued here, in order
  private writeHead = 0;
  private readonly unlinks: string[] = [];
  /** Messages taken by shift() whose files stay until release(). */
  private readonly taken = new Map<OutboundMessage, Slot>();
  private held = 0;
  private behind = 0;
  private postedWrites = 0;
  /** The largest message appended so far (as on disk). */
  private lastBytes = 0;
  /** Buffers the worker has given back, for the next writes (at most POSTED_WRITE_BYTES). */
  private readonly buffers: ArrayBuffer[] = [];
  private bufferBytes = 0;
  private worker: Worker | undefined;
  private nextId = 0;
  private readonly inflight = new Map<number, Pending>();
  private ioError: SpoolError | undefined;
  private idleWaiters: Array<() => void> = [];
  /** Files of an earlier run that could not be read back (renamed *.damaged). */
  damaged = 0;
  /** Heads read on the event loop because their read-ahead had not come back (see above). */
  syncReads = 0;
  /** Called after each file is written (backedUp may have turned false). */
  onWritten: (() => void) | undefined;

  /** `onResident`: a message has been read back into memory (the head may now be taken at once). */
  constructor(
    private readonly dir: string,
    private readonly onResident: () => void = () => undefined,
  ) {
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
        let header: SpoolFileHeader;
        try {
          header = readHeader(full);
        } catch {
          renameSync(full, `${full}.damaged`); // kept for inspection, never sent
          this.damaged++;
          continue;
        }
        this.entries.push({ file: full, bytes, records: header.records, kind: header.kind, message: undefined, state: 'written', reading: false, gone: false, held: false, released: false, readFailed: false });
        this.used += bytes;
        this.recordCount += header.records;
        this.counter = Math.max(this.counter, Number(m[1]) + 1);
      }
    } catch (err) {
      if (err instanceof SpoolError) throw err;
      throw new SpoolError(`spool directory ${dir}: ${(err as Error).message}`, { cause: err });
    }
    this.readAhead();
  }

  get length(): number {
    return this.entries.length - this.head;
  }
  /** Bytes the waiting messages take on disk (or will, once written). */
  get bytes(): number {
    return this.used;
  }
  /** Bytes of the files of messages taken by shift() and not released yet (on disk until acknowledged). */
  get heldBytes(): number {
    return this.held;
  }
  /** Whether `m` was taken by shift() with its file complete on disk (not released): a kill now does not lose it. */
  isOnDisk(m: OutboundMessage): boolean {
    return this.taken.get(m)?.state === 'written';
  }
  /**
   * `m` (from shift()) was acknowledged by the stream or dropped for good: its file is removed (once
   * written, if it is still being written). A message that did not come from this tier is ignored.
   */
  release(m: OutboundMessage): void {
    const s = this.taken.get(m);
    if (!s) return;
    this.taken.delete(m);
    s.held = false;
    s.released = true;
    this.held -= s.bytes;
    if (s.state === 'written') this.unlinks.push(s.file);
    // 'writing': removed when the worker is done with it
    this.pump();
  }
  /** Records in the messages waiting. */
  get records(): number {
    return this.recordCount;
  }
  /** Messages (and their records) of the disk tier whose files are not complete yet: lost if the process is killed now. */
  unwritten(): { messages: number; records: number } {
    let messages = 0;
    let records = 0;
    for (let i = this.head; i < this.entries.length; i++) {
      const e = this.entries[i]!;
      if (e.state !== 'written' && !e.gone) {
        messages++;
        records += e.records;
      }
    }
    return { messages, records };
  }
  /** Bytes of messages not yet written. */
  get writeBehindBytes(): number {
    return this.behind;
  }
  /** Bytes a message takes on disk. */
  static sizeOf(m: OutboundMessage): number {
    return fileBytes(m);
  }

  /** Whether append() takes a message of `bytes` now: false while the disk is too far behind. */
  canAppend(bytes: number): boolean {
    return this.behind === 0 || this.behind + bytes <= WRITE_BEHIND_BYTES;
  }

  /**
   * The disk is so far behind that the largest message seen so far (at least 1 MiB, NATS's default
   * max_payload) might not be taken now. Inputs that wait (capture files) wait on this, so it must
   * say so before any message they push can be refused: a message larger than the last one, taken
   * after a check against the last one's size, was refused and dropped (the cluster-faults test).
   */
  get backedUp(): boolean {
    return !this.canAppend(Math.max(this.lastBytes, BACKED_UP_MIN_BYTES));
  }

  peek(): DiskEntry | undefined {
    const s = this.entries[this.head];
    return s && { file: s.file, bytes: s.bytes, records: s.records, kind: s.kind, resident: s.message !== undefined };
  }

  /** Queues a message; its file is written in the background. Throws SpoolError once a write or removal has failed. */
  append(m: OutboundMessage): void {
    if (this.ioError) throw this.ioError;
    const file = path.join(this.dir, `${String(this.counter++).padStart(16, '0')}.msg`);
    const bytes = DiskSpool.sizeOf(m);
    const s: Slot = { file, bytes, records: m.records, kind: m.kind, message: m, state: 'queued', reading: false, gone: false, held: false, released: false, readFailed: false };
    this.entries.push(s);
    this.used += bytes;
    this.recordCount += m.records;
    this.writes.push(s);
    this.behind += bytes;
    this.lastBytes = Math.max(this.lastBytes, bytes);
    unwritten.add(this);
    if (!exitHooked) {
      exitHooked = true;
      process.on('exit', writeAllNow);
    }
    this.pump();
  }

  /** Takes the oldest message (read synchronously only if its read-ahead has not come back). */
  shift(): OutboundMessage | undefined {
    const s = this.entries[this.head];
    if (!s) return undefined;
    let m = s.message;
    if (!m) {
      // as before this tier was asynchronous: a file that cannot be read throws, and stays first
      this.syncReads++;
      try {
        m = decode(readFileSync(s.file), s.file);
      } catch (err) {
        throw err instanceof SpoolError ? err : new SpoolError(`cannot read spool file ${s.file}: ${(err as Error).message}`, { cause: err });
      }
    }
    const s2 = this.removeHead(false);
    if (s2.held) this.taken.set(m, s2);
    return m;
  }

  /** Removes the oldest message unread (spool full, drop oldest). */
  drop(): DiskEntry | undefined {
    const s = this.entries[this.head];
    if (!s) return undefined;
    this.removeHead(true);
    return { file: s.file, bytes: s.bytes, records: s.records, kind: s.kind, resident: false };
  }

  /**
   * Resolves once every write and removal queued so far and every read-ahead is done; rejects with
   * the SpoolError that stopped the writes, if one did.
   */
  settled(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.idleWaiters.push(() => (this.ioError ? reject(this.ioError) : resolve()));
      this.checkIdle();
    });
  }

  /** Writes what is not written yet, synchronously: only for the process exit hook. */
  writeNow(): void {
    for (let i = this.head; i < this.entries.length; i++) {
      const s = this.entries[i]!;
      if (s.state === 'written' || !s.message) continue;
      const tmp = `${s.file}.exit.tmp`; // not the name the worker may be writing
      writeFileSync(tmp, encodeFile(s.message));
      renameSync(tmp, s.file);
      s.state = 'written';
    }
  }

  /** `release`: the file goes at once (dropped); otherwise a written (or being written) file is held until release(). */
  private removeHead(release: boolean): Slot {
    const s = this.entries[this.head]!;
    this.entries[this.head] = undefined as unknown as Slot;
    this.head++;
    if (this.head > 1024 && this.head * 2 > this.entries.length) {
      this.entries.splice(0, this.head);
      this.head = 0;
    }
    this.used -= s.bytes;
    this.recordCount -= s.records;
    s.gone = true;
    s.message = undefined;
    if (s.state === 'queued') this.behind -= s.bytes; // never written: pump() skips it
    else if (!release) {
      s.held = true; // kept on disk until release()
      this.held += s.bytes;
    } else {
      s.released = true;
      if (s.state === 'written') this.unlinks.push(s.file);
      // 'writing': removed when the worker is done with it
    }
    if (this.behind === 0) unwritten.delete(this);
    this.pump();
    this.readAhead();
    return s;
  }

  /** Hands removals and the next writes to the worker. */
  private pump(): void {
    if (this.ioError) return this.checkIdle();
    for (let file = this.unlinks.shift(); file !== undefined; file = this.unlinks.shift()) this.post({ t: 'unlink', file }, { t: 'unlink', file });
    while (this.writeHead < this.writes.length && (this.postedWrites === 0 || this.postedWrites < POSTED_WRITE_BYTES)) {
      const s = this.writes[this.writeHead]!;
      this.writes[this.writeHead++] = undefined as unknown as Slot;
      if (s.gone) continue;
      // the file's bytes, in a buffer moved to the worker (and back), not copied again
      const data = encodeFile(s.message!, (n) => this.buffer(n));
      s.state = 'writing';
      this.postedWrites += s.bytes;
      this.post({ t: 'write', file: s.file, data: data.buffer as ArrayBuffer, length: data.length }, { t: 'write', slot: s }, [data.buffer as ArrayBuffer]);
    }
    if (this.writeHead > 1024 && this.writeHead * 2 > this.writes.length) {
      this.writes.splice(0, this.writeHead);
      this.writeHead = 0;
    }
    this.checkIdle();
  }

  /** Asks the worker to read back the files of the read-ahead window that are not in memory. */
  private readAhead(): void {
    let bytes = 0;
    for (let i = this.head; i < this.entries.length && bytes < READ_AHEAD_BYTES; i++) {
      const s = this.entries[i]!;
      bytes += s.bytes;
      if (s.message || s.reading || s.readFailed || s.state !== 'written') continue;
      s.reading = true;
      this.post({ t: 'read', file: s.file }, { t: 'read', slot: s });
    }
    this.checkIdle();
  }

  /** Whether a message is among the oldest READ_AHEAD_BYTES (the head always is). */
  private inReadAhead(slot: Slot): boolean {
    let bytes = 0;
    for (let i = this.head; i < this.entries.length && bytes < READ_AHEAD_BYTES; i++) {
      const s = this.entries[i]!;
      if (s === slot) return true;
      bytes += s.bytes;
    }
    return false;
  }

  /** A buffer of at least n bytes: one given back by the worker, or a new one. */
  private buffer(n: number): ArrayBuffer {
    for (let i = this.buffers.length - 1; i >= 0; i--) {
      const b = this.buffers[i]!;
      if (b.byteLength < n) continue;
      this.buffers.splice(i, 1);
      this.bufferBytes -= b.byteLength;
      return b;
    }
    return Buffer.allocUnsafeSlow(Math.ceil(n / 65536) * 65536).buffer as ArrayBuffer; // not zeroed; written over
  }

  private post(op: OpBody, p: Pending, transfer: ArrayBuffer[] = []): void {
    const w = (this.worker ??= this.startWorker());
    const id = this.nextId++;
    this.inflight.set(id, p);
    if (this.inflight.size === 1) w.ref(); // pending I/O keeps the process alive
    w.postMessage({ ...op, id } satisfies Op, transfer);
  }

  private startWorker(): Worker {
    const w = new Worker(`(${diskWorker.toString()})()`, { eval: true, name: 'tapline-disk-spool' });
    w.on('message', (r: Reply) => this.done(r));
    w.on('error', (err) => this.failAll(new SpoolError(`the disk spool's worker thread failed: ${err.message}`, { cause: err })));
    w.unref();
    return w;
  }

  private done(r: Reply): void {
    const p = this.inflight.get(r.id);
    if (!p) return;
    this.inflight.delete(r.id);
    if (this.inflight.size === 0) this.worker?.unref();
    if (p.t === 'write') {
      const s = p.slot;
      this.postedWrites -= s.bytes;
      if (r.data && this.bufferBytes + this.postedWrites + r.data.byteLength <= POSTED_WRITE_BYTES) {
        this.buffers.push(r.data); // for the next write
        this.bufferBytes += r.data.byteLength;
      }
      this.behind -= s.bytes;
      if (r.error !== undefined) {
        this.ioError ??= new SpoolError(`cannot write spool file ${s.file}: ${r.error}`);
        s.state = 'queued'; // still in memory: taken from there, or written at exit if possible
        this.behind += s.bytes;
        if (s.held) {
          // taken meanwhile: no file to keep (it is only in memory now)
          s.held = false;
          this.held -= s.bytes;
          for (const [m, t] of this.taken) if (t === s) this.taken.delete(m);
        }
      } else {
        s.state = 'written';
        if (s.released) this.unlinks.push(s.file);
        else if (!this.inReadAhead(s)) s.message = undefined; // on disk now; read back when its turn comes
      }
      if (this.behind === 0) unwritten.delete(this);
      this.pump();
      this.onWritten?.(); // the disk caught up a little: an input waiting for room may go on
    } else if (p.t === 'read') {
      const s = p.slot;
      s.reading = false;
      if (!s.gone) {
        try {
          if (r.error === undefined) s.message = decode(Buffer.from(r.data!, 0, r.length), s.file);
          else s.readFailed = true;
        } catch {
          s.readFailed = true; // damaged: shift() says so
        }
      }
      if (s.message) this.onResident(); // first: it may take the head (and queue its removal)
      this.readAhead();
    } else {
      if (r.error !== undefined) this.ioError ??= new SpoolError(`cannot remove spool file ${p.file}: ${r.error}`);
      this.pump();
    }
  }

  private failAll(err: SpoolError): void {
    this.ioError ??= err;
    this.worker = undefined; // reads start a new one; writes stay stopped (ioError)
    for (const id of [...this.inflight.keys()]) this.done({ id, error: err.message });
  }

  private checkIdle(): void {
    if (this.idleWaiters.length === 0) return;
    const idle = this.inflight.size === 0 && (this.ioError !== undefined || (this.unlinks.length === 0 && this.behind === 0));
    if (!idle) return;
    const w = this.idleWaiters;
    this.idleWaiters = [];
    for (const f of w) f();
  }
}

/**
 * The worker thread (evaluated from this function's source: it may use nothing from this module).
 * Reads first, then writes and removals in the order asked; one at a time, synchronously.
 */
function diskWorker(): void {
  const { parentPort } = require('node:worker_threads') as typeof import('node:worker_threads');
  const fs = require('node:fs') as typeof import('node:fs');
  const port = parentPort!;
  const reads: Op[] = [];
  const others: Op[] = [];
  let scheduled = false;
  const run = () => {
    scheduled = false;
    const op = reads.shift() ?? others.shift();
    if (!op) return;
    try {
      if (op.t === 'write') {
        const tmp = `${op.file}.tmp`;
        try {
          const fd = fs.openSync(tmp, 'w');
          try {
            const data = new Uint8Array(op.data, 0, op.length);
            for (let done = 0; done < data.length; ) {
              const n = fs.writeSync(fd, data, done, data.length - done);
              if (n === 0) throw new Error(`short write at ${done} of ${data.length} bytes`);
              done += n;
            }
          } finally {
            fs.closeSync(fd);
          }
          fs.renameSync(tmp, op.file);
        } catch (err) {
          fs.rmSync(tmp, { force: true });
          throw err;
        }
        port.postMessage({ id: op.id, data: op.data }, [op.data]); // the buffer goes back for reuse
      } else if (op.t === 'read') {
        const fd = fs.openSync(op.file, 'r');
        try {
          const size = fs.fstatSync(fd).size;
          const buf = Buffer.allocUnsafeSlow(size);
          let n = 0;
          while (n < size) {
            const k = fs.readSync(fd, buf, n, size - n, n);
            if (k === 0) break;
            n += k;
          }
          port.postMessage({ id: op.id, data: buf.buffer, length: n }, [buf.buffer]);
        } finally {
          fs.closeSync(fd);
        }
      } else {
        fs.rmSync(op.file, { force: true });
        port.postMessage({ id: op.id });
      }
    } catch (err) {
      port.postMessage({ id: op.id, error: (err as Error).message, ...(op.t === 'write' ? { data: op.data } : {}) }, op.t === 'write' ? [op.data] : []);
    }
    if (reads.length + others.length > 0) {
      scheduled = true;
      setImmediate(run); // lets reads asked meanwhile go first
    }
  };
  port.on('message', (op: Op) => {
    (op.t === 'read' ? reads : others).push(op);
    if (!scheduled) {
      scheduled = true;
      setImmediate(run);
    }
  });
}

function writeAllNow(): void {
  for (const d of unwritten) {
    try {
      d.writeNow();
    } catch (err) {
      process.stderr.write(`tapline: spool messages not written at exit: ${(err as Error).message}\n`);
    }
  }
}
