// Where messages wait for their turn to be published: a memory queue, then (when memory is full
// and a directory is configured) files on disk, in one order. While anything is on disk new
// messages go to disk too, and memory refills from the oldest files, so messages leave in the
// order they came. When both tiers are full the configured rule drops the oldest waiting
// messages or the arriving one; every dropped message and record is reported to onDrop.
//
// push() and shift() never wait for the disk (disk-spool.ts: writes are write-behind, reads are
// read-ahead): memory refills from the disk tier as its oldest messages come back into memory.
// When the disk falls more than WRITE_BEHIND_BYTES behind the input, the arriving message is
// dropped and counted like one that finds the spool full, whatever onFull says (the older ones are
// already on their way to disk, and waiting would stall the drain loop); fill reads 1 meanwhile,
// so that inputs that can wait (capture files, Exporter.waitForRoom) wait instead.
//
// A message that came from the disk tier keeps its file until release(m): the exporter calls it
// when the stream acknowledges the message or refuses it for good, and the spool itself when its
// onFull rule drops it from the memory tier. So a kill loses only what never reached the disk
// (the ledger counts exactly that); files still on disk are sent again by the next start and the
// stream's duplicate window (Nats-Msg-Id) drops those it has. Those files count against the disk
// budget (diskBytes) until released: the budget is what the directory holds.
import { DiskSpool } from './disk-spool.js';
import { SpoolLedger, type LostAtStart } from './spool-ledger.js';
import type { MessageKind, OutboundMessage } from './message.js';
import type { SpoolSettings } from './options.js';

/** Bookkeeping per message in memory, beyond its payload. */
const MEMORY_OVERHEAD = 256;

export interface Dropped {
  kind: MessageKind;
  records: number;
  msgId?: string;
}

export interface SpoolStats {
  messages: number;
  records: number;
  memoryMessages: number;
  memoryBytes: number;
  diskMessages: number;
  diskBytes: number;
  diskRecords: number;
  /** Messages that went to disk since start. */
  spilled: number;
  /** Records (at most) the previous agent process lost when it was killed: only in memory then (spool-ledger.ts); 0 otherwise. */
  lostAtStartRecords: number;
  lostAtStartMessages: number;
}

export class Spool {
  private readonly memory: OutboundMessage[] = [];
  private memHead = 0;
  private memBytes = 0;
  private recordCount = 0;
  private spilled = 0;
  private readonly disk: DiskSpool | undefined;
  private readonly ledger: SpoolLedger | undefined;

  constructor(
    private readonly settings: SpoolSettings,
    private readonly onDrop: (d: Dropped) => void,
  ) {
    this.disk = settings.dir !== undefined && settings.diskBytes > 0 ? new DiskSpool(settings.dir, () => this.refill('none')) : undefined;
    // what the previous process held only in memory when it was killed (read before it is rewritten)
    this.ledger = this.disk && settings.dir !== undefined ? new SpoolLedger(settings.dir) : undefined;
    // what an earlier run left on disk waits first (records counted from each file's header)
    this.recordCount = this.disk?.records ?? 0;
  }

  /** Files an earlier run left that could not be read back. */
  get damagedFiles(): number {
    return this.disk?.damaged ?? 0;
  }

  /**
   * Called when the disk tier has written a file: room for inputs that wait (fill may have dropped
   * below their mark, or backedUp turned false) without any acknowledgement arriving, as while
   * NATS is away.
   */
  set onRoom(f: (() => void) | undefined) {
    if (this.disk) this.disk.onWritten = f;
  }

  /** The previous agent process was killed with these only in memory (a disk spool's ledger says so). */
  get lostAtStart(): LostAtStart | undefined {
    return this.ledger?.lostAtStart;
  }

  /** Whether a disk tier (and so a ledger) is configured. */
  get hasDisk(): boolean {
    return this.disk !== undefined;
  }

  /**
   * What a kill would lose now: messages only in memory (the memory tier's and `held`, the
   * publisher's, sent at least once) whose files are not on disk, and disk files not written yet.
   * Messages taken from the disk tier keep their files until released: not counted, they are sent
   * again by the next start.
   */
  checkpoint(held: Iterable<OutboundMessage>): void {
    if (!this.ledger || !this.disk) return;
    const disk = this.disk;
    const unwritten = disk.unwritten();
    let messages = unwritten.messages;
    let records = unwritten.records;
    for (let i = this.memHead; i < this.memory.length; i++) {
      const m = this.memory[i]!;
      if (disk.isOnDisk(m)) continue;
      messages++;
      records += m.records;
    }
    let sentMessages = 0;
    let sentRecords = 0;
    for (const m of held) {
      if (disk.isOnDisk(m)) continue;
      sentMessages++;
      sentRecords += m.records;
    }
    this.ledger.checkpoint({ messages: messages + sentMessages, records: records + sentRecords, sentMessages, sentRecords });
  }

  /**
   * `m` (from shift()) was acknowledged by the stream, or dropped for good: the file it came from
   * (if it came from the disk tier) is removed. Until then it stays, and a kill leaves it for the
   * next start to send again.
   */
  release(m: OutboundMessage): void {
    this.disk?.release(m);
  }

  /** The exporter stopped (not killed): the next start reports no loss of its own. */
  markStopped(): void {
    this.ledger?.stopped();
  }

  /** Messages read from disk on the event loop because their read-ahead was late (DiskSpool.syncReads). */
  get syncReads(): number {
    return this.disk?.syncReads ?? 0;
  }

  /** Resolves once the disk tier's writes, removals and reads so far are done (DiskSpool.settled). */
  settled(): Promise<void> {
    return this.disk?.settled() ?? Promise.resolve();
  }

  get length(): number {
    return this.memory.length - this.memHead + (this.disk?.length ?? 0);
  }

  get bytes(): number {
    return this.memBytes + (this.disk?.bytes ?? 0);
  }

  /**
   * Fraction of the whole spool (memory plus disk) in use, 0..1; 1 while the disk is too far behind
   * to take the next message (so that inputs that can wait, wait, rather than lose it).
   */
  get fill(): number {
    if (this.disk?.backedUp && this.disk.length > 0) return 1;
    // files kept until their batches are acknowledged take disk budget too (counted twice while the
    // batch is also in the memory tier: inputs that wait, wait a little early, never too late)
    return (this.bytes + (this.disk?.heldBytes ?? 0)) / (this.settings.memoryBytes + (this.disk ? this.settings.diskBytes : 0));
  }

  stats(): SpoolStats {
    return {
      messages: this.length,
      records: this.recordCount,
      memoryMessages: this.memory.length - this.memHead,
      memoryBytes: this.memBytes,
      diskMessages: this.disk?.length ?? 0,
      diskBytes: this.disk?.bytes ?? 0,
      diskRecords: this.disk?.records ?? 0,
      spilled: this.spilled,
      lostAtStartRecords: this.ledger?.lostAtStart?.records ?? 0,
      lostAtStartMessages: this.ledger?.lostAtStart?.messages ?? 0,
    };
  }

  push(m: OutboundMessage): void {
    for (;;) {
      const r = this.tryPush(m);
      if (r === 'queued') break;
      // the disk behind: dropping older messages would not make it write faster
      if (r === 'behind' || this.settings.onFull === 'dropNewest' || this.length === 0) {
        this.onDrop({ kind: m.kind, records: m.records, msgId: m.msgId });
        break;
      }
      this.dropOldest();
    }
    this.refill('none');
  }

  shift(): OutboundMessage | undefined {
    if (this.memHead === this.memory.length) this.refill('head');
    if (this.memHead === this.memory.length) return undefined;
    const m = this.memory[this.memHead]!;
    this.memory[this.memHead] = undefined as unknown as OutboundMessage;
    this.memHead++;
    this.compact();
    this.memBytes -= m.payload.length + MEMORY_OVERHEAD;
    this.recordCount -= m.records;
    this.refill('none');
    return m;
  }

  private tryPush(m: OutboundMessage): 'queued' | 'full' | 'behind' {
    const size = m.payload.length + MEMORY_OVERHEAD;
    const diskBusy = this.disk !== undefined && this.disk.length > 0;
    if (!diskBusy && this.memBytes + size <= this.settings.memoryBytes) {
      this.memory.push(m);
      this.memBytes += size;
      this.recordCount += m.records;
      return 'queued';
    }
    const bytes = this.disk ? DiskSpool.sizeOf(m) : 0;
    // files of taken messages not yet acknowledged (heldBytes) are on disk too: in the budget
    if (this.disk && this.disk.bytes + this.disk.heldBytes + bytes <= this.settings.diskBytes) {
      if (!this.disk.canAppend(bytes)) return 'behind';
      this.disk.append(m);
      this.spilled++;
      this.recordCount += m.records;
      return 'queued';
    }
    return 'full';
  }

  private dropOldest(): void {
    if (this.memHead < this.memory.length) {
      const m = this.memory[this.memHead]!;
      this.memory[this.memHead] = undefined as unknown as OutboundMessage;
      this.memHead++;
      this.compact();
      this.memBytes -= m.payload.length + MEMORY_OVERHEAD;
      this.recordCount -= m.records;
      this.onDrop({ kind: m.kind, records: m.records, msgId: m.msgId });
      this.disk?.release(m); // dropped for good: its file (if it came from disk) goes
      // the room it left goes to the oldest files; their files stay until acknowledged, so the disk
      // gains room only when a batch that came from it is dropped (as the loop in push() goes on)
      this.refill('fit');
      return;
    }
    const e = this.disk?.drop();
    if (e) {
      this.recordCount -= e.records;
      this.onDrop({ kind: e.kind, records: e.records });
    }
  }

  /**
   * Moves the oldest messages of the disk tier into memory while they fit: those in memory already
   * (read back, or not yet written). One that must be read first is read synchronously, as a last
   * resort (DiskSpool.shift), only by `sync`: 'head' when memory is empty (shift() has nothing to
   * hand out otherwise), 'fit' whenever it fits (dropOldest, so that no more is dropped than the
   * rule needs). Otherwise the read-ahead calls this again when the next message is back.
   */
  private refill(sync: 'none' | 'head' | 'fit'): void {
    const disk = this.disk;
    if (!disk) return;
    for (let e = disk.peek(); e; e = disk.peek()) {
      const size = e.bytes + MEMORY_OVERHEAD;
      const empty = this.memHead === this.memory.length;
      if (!empty && this.memBytes + size > this.settings.memoryBytes) return;
      if (!e.resident && !(sync === 'fit' || (sync === 'head' && empty))) return;
      const m = disk.shift()!;
      this.memory.push(m);
      this.memBytes += m.payload.length + MEMORY_OVERHEAD;
    }
  }

  private compact(): void {
    if (this.memHead > 1024 && this.memHead * 2 > this.memory.length) {
      this.memory.splice(0, this.memHead);
      this.memHead = 0;
    }
  }
}
