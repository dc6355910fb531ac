// TCP sessions: FIN and RST endings, port reuse.
import { TCP_ACK, TCP_FIN, TCP_PSH, TCP_RST, TCP_SYN, tcpSynOptions, tcpTimestampOptions } from '../headers.js';
import { type L4Spec } from '../packets.js';
import { Prng } from '../prng.js';
import { type Scenario, type ScenarioPacket } from '../scenario.js';
import { type CommonParams, ephemeralPort, type Base, packet } from './common.js';

export interface TcpSessionParams extends CommonParams {
  client?: string;
  server?: string;
  clientPort?: number;
  serverPort?: number;
  /** Round-trip time, seconds. Default 0.02. */
  rtt?: number;
  /** Request/response exchanges after the handshake. Default 3. */
  exchanges?: number;
  /** Request payload octets. Default: seed-dependent 40..400. */
  requestBytes?: number;
  /** Response payload octets (split into `mss` segments, each ACKed). Default: seed-dependent 200..5000. */
  responseBytes?: number;
  mss?: number;
  /** IPv6 extension headers on the client's packets. */
  clientExtHeaders?: ReadonlyArray<'hbh' | 'dstopts'>;
  /** After FIN/FIN, the client's final ACK (joins the closed flow inside the linger). Default true. */
  trailingAck?: boolean;
}

/** A TCP conversation with consistent seq/ack numbers. */
export class TcpTalk {
  readonly packets: ScenarioPacket[] = [];
  readonly client: string;
  readonly server: string;
  readonly clientPort: number;
  readonly serverPort: number;
  private readonly base: Base;
  private readonly clientExt: ReadonlyArray<'hbh' | 'dstopts'> | undefined;
  private readonly next: [number, number];
  private readonly ipId: [number, number];
  private readonly tsv: [number, number];

  constructor(
    ends: { client: string; server: string; clientPort: number; serverPort: number },
    base: Base,
    rng: Prng,
    clientExt?: ReadonlyArray<'hbh' | 'dstopts'>,
  ) {
    this.client = ends.client;
    this.server = ends.server;
    this.clientPort = ends.clientPort;
    this.serverPort = ends.serverPort;
    this.base = base;
    this.clientExt = clientExt;
    this.next = [rng.u32(), rng.u32()];
    this.ipId = [rng.int(0, 0xffff), rng.int(0, 0xffff)];
    this.tsv = [rng.u32(), rng.u32()];
  }

  /** Adds one segment sent at `t` by the client (true) or the server. */
  send(t: number, fromClient: boolean, flags: number, payload: number): void {
    const s = fromClient ? 0 : 1;
    const r = fromClient ? 1 : 0;
    const seq = this.next[s];
    const ack = flags & TCP_ACK ? this.next[r] : 0;
    this.next[s] = (seq + payload + (flags & TCP_SYN ? 1 : 0) + (flags & TCP_FIN ? 1 : 0)) >>> 0;
    const tsv = (this.tsv[s] = (this.tsv[s] + 1) >>> 0);
    const options = flags & TCP_SYN ? tcpSynOptions(1460, tsv) : tcpTimestampOptions(tsv, this.tsv[r]);
    const id = (this.ipId[s] = (this.ipId[s] + 1) & 0xffff);
    const l4: L4Spec = {
      kind: 'tcp', srcPort: fromClient ? this.clientPort : this.serverPort, dstPort: fromClient ? this.serverPort : this.clientPort,
      flags, seq, ack, options, payload,
    };
    const ip = {
      src: fromClient ? this.client : this.server, dst: fromClient ? this.server : this.client, id, dontFragment: true,
      ...(fromClient && this.clientExt ? { extHeaders: this.clientExt } : {}),
    };
    this.packets.push(packet(t, { ip, l4 }, this.base));
  }

  /** SYN, SYN-ACK, ACK; returns the time after the handshake. */
  handshake(t: number, rtt: number): number {
    this.send(t, true, TCP_SYN, 0);
    this.send(t + rtt / 2, false, TCP_SYN | TCP_ACK, 0);
    this.send(t + rtt, true, TCP_ACK, 0);
    return t + rtt;
  }

  /** A request, then a response in `mss` segments, each ACKed by the client; returns the time after. */
  exchange(t: number, rtt: number, request: number, response: number, mss: number): number {
    this.send(t, true, TCP_ACK | TCP_PSH, request);
    let at = t + rtt / 2;
    for (let left = response; left > 0; left -= mss) {
      const n = Math.min(mss, left);
      this.send(at, false, TCP_ACK | (n === left ? TCP_PSH : 0), n);
      this.send(at + rtt / 2, true, TCP_ACK, 0);
      at += rtt / 10;
    }
    return at + rtt / 2;
  }

  /** FIN from one side, its ACK, FIN from the other (closes), and optionally the final ACK. */
  closeFin(t: number, rtt: number, clientFirst: boolean, trailingAck: boolean): number {
    this.send(t, clientFirst, TCP_FIN | TCP_ACK, 0);
    this.send(t + rtt / 2, !clientFirst, TCP_ACK, 0);
    this.send(t + rtt / 2 + 0.001, !clientFirst, TCP_FIN | TCP_ACK, 0);
    if (trailingAck) this.send(t + rtt, clientFirst, TCP_ACK, 0);
    return t + rtt;
  }
}

function tcpDefaults(p: TcpSessionParams, client: string, server: string) {
  const rng = new Prng(p.seed ?? 1);
  return {
    rng,
    client: p.client ?? client,
    server: p.server ?? server,
    clientPort: p.clientPort ?? ephemeralPort(rng),
    serverPort: p.serverPort ?? 80,
    rtt: p.rtt ?? 0.02,
    exchanges: p.exchanges ?? 3,
    request: p.requestBytes ?? rng.int(40, 400),
    response: p.responseBytes ?? rng.int(200, 5000),
    mss: p.mss ?? 1448,
    at: p.at ?? 0,
    base: { vlans: p.vlans, linktype: p.linktype } satisfies Base,
  };
}

/** Handshake, request/response exchanges, FIN/ACK/FIN teardown and a trailing ACK inside the linger: one flow, endReason fin. */
export function tcpFinScenario(p: TcpSessionParams = {}): Scenario {
  const d = tcpDefaults(p, '10.1.0.1', '10.1.0.2');
  const talk = new TcpTalk(d, d.base, d.rng, p.clientExtHeaders);
  let t = talk.handshake(d.at, d.rtt);
  for (let i = 0; i < d.exchanges; i++) t = talk.exchange(t + 0.005, d.rtt, d.request, d.response, d.mss);
  talk.closeFin(t + 0.01, d.rtt, true, p.trailingAck ?? true);
  return { name: p.name ?? 'tcp-fin', packets: talk.packets };
}

export interface TcpRstParams extends TcpSessionParams {
  /** Who sends the RST. Default 'server'. */
  rstFrom?: 'client' | 'server';
  /** A segment from the other side 0.5 s after the RST (inside the linger: joins the flow). Default true. */
  trailing?: boolean;
}

/** Handshake, one exchange, then RST: one flow, endReason rst. The client's address sorts after the server's. */
export function tcpRstScenario(p: TcpRstParams = {}): Scenario {
  const d = tcpDefaults({ exchanges: 1, ...p }, '10.2.0.200', '10.2.0.2');
  const talk = new TcpTalk(d, d.base, d.rng, p.clientExtHeaders);
  let t = talk.handshake(d.at, d.rtt);
  for (let i = 0; i < d.exchanges; i++) t = talk.exchange(t + 0.005, d.rtt, d.request, d.response, d.mss);
  const fromClient = (p.rstFrom ?? 'server') === 'client';
  talk.send(t + 0.01, fromClient, TCP_RST | TCP_ACK, 0);
  if (p.trailing ?? true) talk.send(t + 0.51, !fromClient, TCP_ACK | TCP_PSH, 20);
  return { name: p.name ?? 'tcp-rst', packets: talk.packets };
}

export interface TcpPortReuseParams extends TcpSessionParams {
  /** Seconds from the first connection's close to the second SYN (inside the linger by default). Default 0.5. */
  reuseGap?: number;
}

/**
 * Two connections on the same ports: the first closes with FIN/FIN (+ final
 * ACK), then a fresh SYN `reuseGap` later starts the second (also FIN-closed).
 * Two flows, both endReason fin.
 */
export function tcpPortReuseScenario(p: TcpPortReuseParams = {}): Scenario {
  const d = tcpDefaults({ exchanges: 1, ...p }, '10.3.0.1', '10.3.0.2');
  const first = new TcpTalk(d, d.base, d.rng, p.clientExtHeaders);
  let t = first.handshake(d.at, d.rtt);
  for (let i = 0; i < d.exchanges; i++) t = first.exchange(t + 0.005, d.rtt, d.request, d.response, d.mss);
  t = first.closeFin(t + 0.01, d.rtt, false, true);
  const second = new TcpTalk(d, d.base, d.rng, p.clientExtHeaders);
  t = second.handshake(t + (p.reuseGap ?? 0.5), d.rtt);
  for (let i = 0; i < d.exchanges; i++) t = second.exchange(t + 0.005, d.rtt, d.request, d.response, d.mss);
  second.closeFin(t + 0.01, d.rtt, true, true);
  return { name: p.name ?? 'tcp-port-reuse', packets: [...first.packets, ...second.packets] };
}
