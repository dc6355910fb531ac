// Where messages wait for their turn to be published: a memory queue, then (when memory is full
// and a directory is configured) files on disk, in one order. While anything is on disk new
// messages go to disk too, and memory refills from the oldest files, so messages leave in the
// order they came. When both tiers are full the configured rule drops the oldest waiting
// messages or the arriving one; every dropped message and record is reported to onDrop.
import { DiskSpool } from './disk-spool.js';
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
}

export class Spool {
  private readonly memory: OutboundMessage[] = [];
  private memHead = 0;
  private memBytes = 0;
  private recordCount = 0;
  private spilled = 0;
  private readonly disk: DiskSpool | undefined;

  constructor(
    private readonly settings: SpoolSettings,
    private readonly onDrop: (d: Dropped) => void,
  ) {
    this.disk = settings.dir !== undefined && settings.diskBytes > 0 ? new DiskSpool(settings.dir) : undefined;
    // what an earlier run left on disk waits first (records counted from each file's header)
    this.recordCount = this.disk?.records ?? 0;
  }

  /** Files an earlier run left that could not be read back. */
  get damagedFiles(): number {
    return this.disk?.damaged ?? 0;
  }

  get length(): number {
    return this.memory.length - this.memHead + (this.disk?.length ?? 0);
  }

  get bytes(): number {
    return this.memBytes + (this.disk?.bytes ?? 0);
  }

  /** Fraction of the whole spool (memory plus disk) in use, 0..1. */
  get fill(): number {
    return this.bytes / (this.settings.memoryBytes + (this.disk ? this.settings.diskBytes : 0));
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
    };
  }

  push(m: OutboundMessage): void {
    for (;;) {
      if (this.tryPush(m)) return;
      if (this.settings.onFull === 'dropNewest' || this.length === 0) {
        this.onDrop({ kind: m.kind, records: m.records, msgId: m.msgId });
        return;
      }
      this.dropOldest();
    }
  }

  shift(): OutboundMessage | undefined {
    if (this.memHead === this.memory.length) this.refill();
    if (this.memHead === this.memory.length) return undefined;
    const m = this.memory[this.memHead]!;
    this.memory[this.memHead] = undefined as unknown as OutboundMessage;
    this.memHead++;
    this.compact();
    this.memBytes -= m.payload.length + MEMORY_OVERHEAD;
    this.recordCount -= m.records;
    this.refill();
    return m;
  }

  private tryPush(m: OutboundMessage): boolean {
    const size = m.payload.length + MEMORY_OVERHEAD;
    const diskBusy = this.disk !== undefined && this.disk.length > 0;
    if (!diskBusy && this.memBytes + size <= this.settings.memoryBytes) {
      this.memory.push(m);
      this.memBytes += size;
      this.recordCount += m.records;
      return true;
    }
    if (this.disk && this.disk.bytes + DiskSpool.sizeOf(m) <= this.settings.diskBytes) {
      this.disk.append(m);
      this.spilled++;
      this.recordCount += m.records;
      return true;
    }
    return false;
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
      this.refill();
      return;
    }
    const e = this.disk?.drop();
    if (e) {
      this.recordCount -= e.records;
      this.onDrop({ kind: e.kind, records: e.records });
    }
  }

  /** Moves the oldest files into memory while they fit. */
  private refill(): void {
    const disk = this.disk;
    if (!disk) return;
    for (let e = disk.peek(); e; e = disk.peek()) {
      const size = e.bytes + MEMORY_OVERHEAD;
      const empty = this.memHead === this.memory.length;
      if (!empty && this.memBytes + size > this.settings.memoryBytes) return;
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
