// Reads the engine's packed flow records (native/src/flow/record_packed.h)
// in place: aggregating consumers look at the fields they need without
// parsing JSON or building an object per record.
import { formatIpv4, formatIpv6 } from './ip-format.js';

export const PACKED_RECORD_BYTES = 128;

/** Bits of the "TCP measured" byte (offset 93): TcpMeasured in native/src/flow/flow_record.h. */
const TCP_HANDSHAKE_SERVER = 1;
const TCP_HANDSHAKE_CLIENT = 2;
const TCP_RTT = 4;
const PROTO_TCP = 6;

/** EndReason order of native/src/flow/flow_record.h. */
export const END_REASONS = ['idle', 'active', 'fin', 'rst', 'evicted', 'eof', 'shutdown'] as const;
export type EndReason = (typeof END_REASONS)[number];

const NO_VLAN = 0xffff;

/** A cursor over one batch of packed records; `at(i)` moves it, the getters read in place. */
export class PackedRecords {
  readonly count: number;
  private readonly view: DataView;
  private base = 0;

  constructor(private readonly data: Buffer) {
    if (data.length % PACKED_RECORD_BYTES !== 0) {
      throw new RangeError(`packed batch of ${data.length} bytes is not a whole number of ${PACKED_RECORD_BYTES}-byte records`);
    }
    this.count = data.length / PACKED_RECORD_BYTES;
    this.view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  }

  at(i: number): this {
    if (i < 0 || i >= this.count) throw new RangeError(`record ${i} of ${this.count}`);
    this.base = i * PACKED_RECORD_BYTES;
    return this;
  }

  get ipVersion(): number {
    return this.view.getUint8(this.base + 87);
  }
  get srcAddr(): string {
    return this.addr(0);
  }
  get dstAddr(): string {
    return this.addr(16);
  }
  get packets(): bigint {
    return this.view.getBigUint64(this.base + 32, true);
  }
  get bytes(): bigint {
    return this.view.getBigUint64(this.base + 40, true);
  }
  get revPackets(): bigint {
    return this.view.getBigUint64(this.base + 48, true);
  }
  get revBytes(): bigint {
    return this.view.getBigUint64(this.base + 56, true);
  }
  get startNs(): bigint {
    return this.view.getBigUint64(this.base + 64, true);
  }
  get endNs(): bigint {
    return this.view.getBigUint64(this.base + 72, true);
  }
  get srcPort(): number {
    return this.view.getUint16(this.base + 80, true);
  }
  get dstPort(): number {
    return this.view.getUint16(this.base + 82, true);
  }
  get vlan(): number | null {
    const v = this.view.getUint16(this.base + 84, true);
    return v === NO_VLAN ? null : v;
  }
  get proto(): number {
    return this.view.getUint8(this.base + 86);
  }
  get tcpFlags(): number {
    return this.view.getUint8(this.base + 88);
  }
  get revTcpFlags(): number {
    return this.view.getUint8(this.base + 89);
  }
  get endReason(): EndReason {
    const r = END_REASONS[this.view.getUint8(this.base + 90)];
    if (r === undefined) throw new RangeError(`unknown end reason ${this.view.getUint8(this.base + 90)}`);
    return r;
  }
  get worker(): number {
    return this.view.getUint8(this.base + 92);
  }
  /** Microseconds from the initiator's (last) SYN to the responder's SYN/ACK; undefined when not measured. */
  get tcpHandshakeServerUs(): number | undefined {
    return this.measured(TCP_HANDSHAKE_SERVER, 96);
  }
  /** Microseconds from the SYN/ACK to the initiator's ACK; undefined when not measured. */
  get tcpHandshakeClientUs(): number | undefined {
    return this.measured(TCP_HANDSHAKE_CLIENT, 100);
  }
  get tcpRttMinUs(): number | undefined {
    return this.measured(TCP_RTT, 104);
  }
  get tcpRttSmoothedUs(): number | undefined {
    return this.measured(TCP_RTT, 108);
  }
  /** Retransmitted segments from the initiator; undefined for non-TCP flows. */
  get tcpRetransmits(): number | undefined {
    return this.proto === PROTO_TCP ? this.view.getUint32(this.base + 112, true) : undefined;
  }
  get revTcpRetransmits(): number | undefined {
    return this.proto === PROTO_TCP ? this.view.getUint32(this.base + 116, true) : undefined;
  }

  private measured(bit: number, off: number): number | undefined {
    return (this.view.getUint8(this.base + 93) & bit) !== 0 ? this.view.getUint32(this.base + off, true) : undefined;
  }

  private addr(off: number): string {
    return this.ipVersion === 4 ? formatIpv4(this.data, this.base + off) : formatIpv6(this.data, this.base + off);
  }
}
