// IPv6 with extension headers, and SCTP.
import { sctpChunk, sctpDataChunk, sctpInitChunk, sctpSackChunk } from '../headers.js';
import { type L4Spec } from '../packets.js';
import { Prng } from '../prng.js';
import { type Scenario, type ScenarioPacket } from '../scenario.js';
import { type CommonParams, ephemeralPort, type Base, packet } from './common.js';
import { type TcpSessionParams, tcpFinScenario } from './tcp.js';
import { type UdpParams, udpRequestResponseScenario, udp } from './udp.js';

/** IPv6 TCP session whose client packets carry hop-by-hop and destination-options headers. */
export function ipv6TcpExtHeadersScenario(p: TcpSessionParams = {}): Scenario {
  return tcpFinScenario({
    client: '2001:db8:8::1', server: '2001:db8:8::2', clientExtHeaders: ['hbh', 'dstopts'], serverPort: 443, name: 'ipv6-tcp-ext-headers', ...p,
  });
}

/** IPv6 UDP request/response. */
export function ipv6UdpScenario(p: UdpParams = {}): Scenario {
  return udpRequestResponseScenario({ client: '2001:db8:9::100', server: '2001:db8:9::1', serverPort: 7000, name: 'ipv6-udp', ...p });
}

export interface SctpParams extends CommonParams {
  client?: string;
  server?: string;
  clientPort?: number;
  serverPort?: number;
  /** DATA chunks from the client, each SACKed. Default 3. */
  messages?: number;
  /** End with SHUTDOWN / SHUTDOWN-ACK / SHUTDOWN-COMPLETE. Default true. */
  shutdown?: boolean;
}

/** An SCTP association: INIT, INIT-ACK, COOKIE-ECHO, COOKIE-ACK, DATA/SACK, shutdown. One flow (no SCTP close semantics in the engine). */
export function sctpScenario(p: SctpParams = {}): Scenario {
  const rng = new Prng(p.seed ?? 1);
  const client = p.client ?? '10.11.0.1';
  const server = p.server ?? '10.11.0.2';
  const cport = p.clientPort ?? ephemeralPort(rng);
  const sport = p.serverPort ?? 3868;
  const base: Base = { vlans: p.vlans, linktype: p.linktype };
  const ctag = rng.u32() || 1;
  const stag = rng.u32() || 1;
  let ctsn = rng.u32();
  const out: ScenarioPacket[] = [];
  let t = p.at ?? 0;
  let id = 0;
  const send = (fromClient: boolean, chunks: Uint8Array[], vtag: number): void => {
    const all = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
    let o = 0;
    for (const c of chunks) {
      all.set(c, o);
      o += c.length;
    }
    const l4: L4Spec = { kind: 'sctp', srcPort: fromClient ? cport : sport, dstPort: fromClient ? sport : cport, verificationTag: vtag, chunks: all };
    out.push(packet(t, { ip: { src: fromClient ? client : server, dst: fromClient ? server : client, id: ++id }, l4 }, base));
    t += 0.002;
  };
  const u32 = (v: number): Uint8Array => Uint8Array.of(v >>> 24, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff);
  send(true, [sctpInitChunk(false, ctag, ctsn)], 0);
  send(false, [sctpInitChunk(true, stag, rng.u32())], ctag);
  send(true, [sctpChunk(10, 0, Uint8Array.of(0xc0, 0x0c, 0x1e, 0x5a, 0, 0, 0, 1))], stag);
  send(false, [sctpChunk(11, 0, new Uint8Array(0))], ctag);
  for (let i = 0; i < (p.messages ?? 3); i++) {
    const data = new Uint8Array(rng.int(16, 300)).fill(0x30 + i);
    send(true, [sctpDataChunk(ctsn, 0, i, 46, data)], stag);
    send(false, [sctpSackChunk(ctsn)], ctag);
    ctsn = (ctsn + 1) >>> 0;
  }
  if (p.shutdown ?? true) {
    send(true, [sctpChunk(7, 0, u32((ctsn - 1) >>> 0))], stag);
    send(false, [sctpChunk(8, 0, new Uint8Array(0))], ctag);
    send(true, [sctpChunk(14, 0, new Uint8Array(0))], stag);
  }
  return { name: p.name ?? 'sctp', packets: out };
}
