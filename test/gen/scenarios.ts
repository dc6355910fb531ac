// Named traffic scenarios. Each is a function of parameters (all optional,
// deterministic defaults; `seed` varies ports, sizes and the like) returning a
// Scenario; buildCapture() turns scenarios into a capture and expectFlows()
// gives the records the engine must export for it under given timeouts.
//
// Every scenario has its own default addresses, so any set of them can share
// one capture without their flows colliding (mixedScenarios does that).
import { sctpChunk, sctpDataChunk, sctpInitChunk, sctpSackChunk, TCP_ACK, TCP_FIN, TCP_PSH, TCP_RST, TCP_SYN, tcpSynOptions, tcpTimestampOptions } from './headers.js';
import {
  buildDatagram, LINKTYPE_LINUX_SLL, LINKTYPE_LINUX_SLL2, LINKTYPE_RAW, type L4Spec, type PacketSpec, type VlanTag,
} from './packets.js';
import { Prng } from './prng.js';
import { buildCapture, type BuildOptions, type Capture, type FragmentPlan, type Scenario, type ScenarioPacket } from './scenario.js';

export interface CommonParams {
  /** Scenario start, seconds from the capture start. Default 0. */
  at?: number | undefined;
  /** Varies ports, sizes and IDs. Default 1. */
  seed?: number | undefined;
  /** VLAN tags of every packet, outermost first. */
  vlans?: readonly VlanTag[] | undefined;
  /** Link type of every packet (default: the capture's). */
  linktype?: number | undefined;
  /** Scenario name (the `scenario` of its expected flows). */
  name?: string | undefined;
}

function ephemeralPort(rng: Prng): number {
  return rng.int(32768, 60999);
}

interface Base {
  vlans?: readonly VlanTag[] | undefined;
  linktype?: number | undefined;
}

function packet(t: number, spec: PacketSpec, base: Base, fragment?: FragmentPlan): ScenarioPacket {
  const p: ScenarioPacket = { t, spec: base.vlans ? { ...spec, vlans: base.vlans } : spec };
  if (base.linktype !== undefined) p.linktype = base.linktype;
  if (fragment) p.fragment = fragment;
  return p;
}

// ---------------------------------------------------------------- TCP ----

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

// ---------------------------------------------------------------- UDP ----

export interface UdpParams extends CommonParams {
  client?: string;
  server?: string;
  clientPort?: number;
  serverPort?: number;
  /** Request/response pairs. Default 3. */
  exchanges?: number;
  /** Seconds between requests. Default 0.2. */
  interval?: number;
  /** Seconds from a request to its response. Default 0.004. */
  delay?: number;
  requestBytes?: number;
  responseBytes?: number;
}

function udp(src: string, dst: string, sport: number, dport: number, payload: number | Uint8Array, id: number): PacketSpec {
  return { ip: { src, dst, id }, l4: { kind: 'udp', srcPort: sport, dstPort: dport, payload } };
}

/** Request/response pairs on one UDP flow. */
export function udpRequestResponseScenario(p: UdpParams = {}): Scenario {
  const rng = new Prng(p.seed ?? 1);
  const client = p.client ?? '10.4.0.1';
  const server = p.server ?? '10.4.0.2';
  const cport = p.clientPort ?? ephemeralPort(rng);
  const sport = p.serverPort ?? 5000;
  const base: Base = { vlans: p.vlans, linktype: p.linktype };
  const out: ScenarioPacket[] = [];
  const at = p.at ?? 0;
  for (let i = 0; i < (p.exchanges ?? 3); i++) {
    const t = at + i * (p.interval ?? 0.2);
    out.push(packet(t, udp(client, server, cport, sport, p.requestBytes ?? rng.int(20, 200), 100 + i), base));
    out.push(packet(t + (p.delay ?? 0.004), udp(server, client, sport, cport, p.responseBytes ?? rng.int(50, 1200), 200 + i), base));
  }
  return { name: p.name ?? 'udp-request-response', packets: out };
}

export interface DnsParams extends CommonParams {
  client?: string;
  resolver?: string;
  /** Queries, each from its own source port: one short flow each. Default 40. */
  queries?: number;
  /** Seconds between queries. Default 0.01. */
  interval?: number;
  /** Share of queries that get an answer. Default 0.9. */
  answerRate?: number;
}

function dnsName(name: string): number[] {
  const out: number[] = [];
  for (const label of name.split('.')) out.push(label.length, ...Array.from(label, (c) => c.charCodeAt(0)));
  out.push(0);
  return out;
}

/** A DNS query for an A record (RFC 1035 wire format). */
export function dnsQuery(id: number, name: string): Uint8Array {
  return Uint8Array.of(id >> 8, id & 0xff, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, ...dnsName(name), 0, 1, 0, 1);
}

/** The answer to dnsQuery(id, name): one A record (name compressed to the question). */
export function dnsAnswer(id: number, name: string, addr: readonly [number, number, number, number]): Uint8Array {
  return Uint8Array.of(
    id >> 8, id & 0xff, 0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0, ...dnsName(name), 0, 1, 0, 1,
    0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0x01, 0x2c, 0, 4, ...addr,
  );
}

/** Many short UDP flows to port 53: a query and (usually) its answer each, every query from its own port. */
export function dnsScenario(p: DnsParams = {}): Scenario {
  const rng = new Prng(p.seed ?? 1);
  const client = p.client ?? '10.5.0.1';
  const resolver = p.resolver ?? '10.5.0.53';
  const base: Base = { vlans: p.vlans, linktype: p.linktype };
  const used = new Set<number>();
  const out: ScenarioPacket[] = [];
  const at = p.at ?? 0;
  const words = ['api', 'cdn', 'mail', 'www', 'static', 'auth', 'img', 'metrics', 'login', 'assets'];
  for (let i = 0; i < (p.queries ?? 40); i++) {
    let port = ephemeralPort(rng);
    while (used.has(port)) port = ephemeralPort(rng);
    used.add(port);
    const t = at + i * (p.interval ?? 0.01);
    const id = rng.int(0, 0xffff);
    const name = `${rng.pick(words)}${rng.int(1, 999)}.${rng.pick(words)}.example.com`;
    out.push(packet(t, udp(client, resolver, port, 53, dnsQuery(id, name), rng.int(0, 0xffff)), base));
    if (rng.chance(p.answerRate ?? 0.9)) {
      const addr: [number, number, number, number] = [192, 0, 2, rng.int(1, 254)];
      out.push(packet(t + rng.int(1, 30) / 1000, udp(resolver, client, 53, port, dnsAnswer(id, name, addr), rng.int(0, 0xffff)), base));
    }
  }
  return { name: p.name ?? 'dns', packets: out };
}

// --------------------------------------------------------------- ICMP ----

export interface IcmpEchoParams extends CommonParams {
  /** The pinging host (IPv4 or IPv6: ICMPv6 then). */
  a?: string;
  b?: string;
  count?: number;
  /** Seconds between requests. Default 1. */
  interval?: number;
  /** Echo payload octets. Default 56. */
  size?: number;
  /** Requests without a reply (from the end). Default 0. */
  unanswered?: number;
}

/** Echo request/reply pairs: one flow (ports 8/0, or 128/129 for ICMPv6). */
export function icmpEchoScenario(p: IcmpEchoParams = {}): Scenario {
  const rng = new Prng(p.seed ?? 1);
  const a = p.a ?? '10.6.0.2';
  const b = p.b ?? '10.6.0.1';
  const v6 = a.includes(':');
  const [req, rep] = v6 ? [128, 129] : [8, 0];
  const base: Base = { vlans: p.vlans, linktype: p.linktype };
  const ident = rng.int(1, 0xffff);
  const count = p.count ?? 4;
  const out: ScenarioPacket[] = [];
  const at = p.at ?? 0;
  for (let i = 0; i < count; i++) {
    const t = at + i * (p.interval ?? 1);
    const rest = ((ident << 16) | (i + 1)) >>> 0;
    const size = p.size ?? 56;
    out.push(packet(t, { ip: { src: a, dst: b, id: i + 1 }, l4: { kind: 'icmp', type: req, code: 0, rest, payload: size } }, base));
    if (i < count - (p.unanswered ?? 0)) {
      out.push(packet(t + 0.0008, { ip: { src: b, dst: a, id: 1000 + i }, l4: { kind: 'icmp', type: rep, code: 0, rest, payload: size } }, base));
    }
  }
  return { name: p.name ?? (v6 ? 'icmpv6-echo' : 'icmp-echo'), packets: out };
}

/** ICMPv6 echo request/reply (ports 128/129). */
export function icmpv6EchoScenario(p: IcmpEchoParams = {}): Scenario {
  return icmpEchoScenario({ a: '2001:db8:a::1', b: '2001:db8:a::2', name: 'icmpv6-echo', ...p });
}

export interface IcmpUnreachableParams extends CommonParams {
  /** Sends the UDP probe. */
  client?: string;
  /** Answers with destination unreachable. */
  host?: string;
  /** Unreachable code. Default 3 (port unreachable). */
  code?: number;
  /** Probes, each answered. Default 2. */
  count?: number;
  /** Include the UDP probes (a separate one-way UDP flow). Default true. */
  probes?: boolean;
}

/**
 * UDP probes answered by ICMP destination unreachable (type 3): the ICMP flow
 * is one-way, ports = (3, code), src = the host that sent the ICMP message.
 */
export function icmpUnreachableScenario(p: IcmpUnreachableParams = {}): Scenario {
  const rng = new Prng(p.seed ?? 1);
  const client = p.client ?? '10.7.0.1';
  const host = p.host ?? '10.7.0.2';
  const code = p.code ?? 3;
  const base: Base = { vlans: p.vlans, linktype: p.linktype };
  const cport = ephemeralPort(rng);
  const out: ScenarioPacket[] = [];
  const at = p.at ?? 0;
  for (let i = 0; i < (p.count ?? 2); i++) {
    const t = at + i * 0.5;
    const probe = udp(client, host, cport, 33434 + i, 32, 500 + i);
    if (p.probes ?? true) out.push(packet(t, probe, base));
    const quoted = buildDatagram(probe).bytes.subarray(0, 28); // IP header + 8 octets, as RFC 792 asks
    out.push(packet(t + 0.0005, { ip: { src: host, dst: client, id: 900 + i }, l4: { kind: 'icmp', type: 3, code, rest: 0, payload: quoted } }, base));
  }
  return { name: p.name ?? 'icmp-unreachable', packets: out };
}

// --------------------------------------------------------------- IPv6 ----

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

// --------------------------------------------------------------- SCTP ----

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

// --------------------------------------------------------------- VLAN ----

export interface VlanParams extends TcpSessionParams {
  /** 802.1Q VIDs; the same 5-tuple runs on each (one flow per VID). Default [10, 20]. */
  vids?: readonly number[];
}

/** The same TCP 5-tuple on several 802.1Q VLANs: one flow per VLAN (vlan is part of the key). */
export function vlanScenario(p: VlanParams = {}): Scenario {
  const vids = p.vids ?? [10, 20];
  const rng = new Prng(p.seed ?? 1);
  const clientPort = p.clientPort ?? ephemeralPort(rng);
  const packets = vids.flatMap((vid, i) =>
    tcpFinScenario({ client: '10.12.0.1', server: '10.12.0.2', exchanges: 1, ...p, clientPort, at: (p.at ?? 0) + i * 0.003, vlans: [{ vid, pcp: i }] }).packets,
  );
  return { name: p.name ?? 'vlan-8021q', packets };
}

export interface QinqParams extends UdpParams {
  /** Outer (service) VID: the record's vlan. Default 100. */
  outer?: number;
  /** Inner (customer) VID. Default 200. */
  inner?: number;
  /** TPID of the outer tag: 0x88a8 (802.1ad, default) or 0x9100 (pre-standard). */
  outerTpid?: number;
}

/** 802.1ad QinQ (S-tag + C-tag) UDP traffic: vlan = the outer VID. */
export function qinqScenario(p: QinqParams = {}): Scenario {
  const vlans: VlanTag[] = [{ vid: p.outer ?? 100, tpid: p.outerTpid ?? 0x88a8 }, { vid: p.inner ?? 200, tpid: 0x8100 }];
  return udpRequestResponseScenario({ client: '10.13.0.1', server: '10.13.0.2', serverPort: 8125, name: 'vlan-qinq', ...p, vlans });
}

// ---------------------------------------------------------- fragments ----

export interface FragmentParams extends CommonParams {
  client?: string;
  server?: string;
  clientPort?: number;
  serverPort?: number;
  /** UDP payload octets of each fragmented request. Default 4000. */
  datagramBytes?: number;
  /** Transport octets per fragment (multiple of 8). Default 1480 (IPv4) / 1448 (IPv6). */
  fragmentSize?: number;
  /** Fragmented requests, each answered by a small unfragmented response. Default 2. */
  datagrams?: number;
}

function fragmentedUdp(p: FragmentParams, v6: boolean): Scenario {
  const rng = new Prng(p.seed ?? 1);
  const client = p.client ?? (v6 ? '2001:db8:f::1' : '10.14.0.1');
  const server = p.server ?? (v6 ? '2001:db8:f::2' : '10.14.0.2');
  const cport = p.clientPort ?? ephemeralPort(rng);
  const sport = p.serverPort ?? 2049;
  const base: Base = { vlans: p.vlans, linktype: p.linktype };
  const out: ScenarioPacket[] = [];
  const at = p.at ?? 0;
  for (let i = 0; i < (p.datagrams ?? 2); i++) {
    const t = at + i * 0.1;
    const id = v6 ? rng.u32() : rng.int(1, 0xffff);
    const fragment: FragmentPlan = { size: p.fragmentSize ?? (v6 ? 1448 : 1480), id };
    out.push(packet(t, udp(client, server, cport, sport, p.datagramBytes ?? 4000, id), base, fragment));
    out.push(packet(t + 0.01, udp(server, client, sport, cport, 120, rng.int(0, 0xffff)), base));
  }
  return { name: p.name ?? (v6 ? 'fragments-ipv6' : 'fragments-ipv4'), packets: out };
}

/** Fragmented IPv4 UDP requests (all fragments, first included): every fragment joins the flow. */
export function fragmentedUdpV4Scenario(p: FragmentParams = {}): Scenario {
  return fragmentedUdp(p, false);
}

/** Fragmented IPv6 UDP requests (fragment header): every fragment joins the flow. */
export function fragmentedUdpV6Scenario(p: FragmentParams = {}): Scenario {
  return fragmentedUdp(p, true);
}

/**
 * Later fragments of an IPv4 UDP datagram whose first fragment is not in the
 * capture: a flow of its own with ports 0/0.
 */
export function orphanFragmentScenario(p: FragmentParams = {}): Scenario {
  const rng = new Prng(p.seed ?? 1);
  const client = p.client ?? '10.16.0.1';
  const server = p.server ?? '10.16.0.2';
  const base: Base = { vlans: p.vlans, linktype: p.linktype };
  const id = rng.int(1, 0xffff);
  const spec = udp(client, server, p.clientPort ?? ephemeralPort(rng), p.serverPort ?? 2049, p.datagramBytes ?? 4000, id);
  const fragment: FragmentPlan = { size: p.fragmentSize ?? 1480, id, emit: [1, 2] };
  return { name: p.name ?? 'fragments-orphan', packets: [packet(p.at ?? 0, spec, base, fragment)] };
}

// ----------------------------------------------------------- timeouts ----

export interface IdleGapParams extends UdpParams {
  /** Seconds of silence in the middle (more than the idle timeout splits the flow). Default 20. */
  gap?: number;
  /** Exchanges before and after the gap. Default 3 each. */
  before?: number;
  after?: number;
}

/** A UDP flow that goes quiet for `gap` seconds: two records (the first ends idle) when gap > idle timeout. */
export function idleGapScenario(p: IdleGapParams = {}): Scenario {
  const rng = new Prng(p.seed ?? 1);
  const clientPort = p.clientPort ?? ephemeralPort(rng);
  const common = { client: '10.17.0.1', server: '10.17.0.2', serverPort: 514, ...p, clientPort };
  const first = udpRequestResponseScenario({ ...common, exchanges: p.before ?? 3 });
  const last = first.packets[first.packets.length - 1]?.t ?? p.at ?? 0;
  const second = udpRequestResponseScenario({ ...common, seed: (p.seed ?? 1) + 1, exchanges: p.after ?? 3, at: last + (p.gap ?? 20) });
  return { name: p.name ?? 'idle-gap', packets: [...first.packets, ...second.packets] };
}

export interface LongFlowParams extends UdpParams {
  /** Seconds the flow lasts. Default 12. */
  duration?: number;
}

/**
 * A steady UDP flow (a request every `interval`, default 1 s, answered after
 * `delay`, default 0.25 s) lasting `duration` seconds: run with an active
 * timeout below the duration to see it exported in pieces (endReason active),
 * each piece starting with the packet that crossed the timeout (a response,
 * with whole-second timeouts) and keeping the client as src.
 */
export function longFlowScenario(p: LongFlowParams = {}): Scenario {
  const interval = p.interval ?? 1;
  const exchanges = Math.floor((p.duration ?? 12) / interval) + 1;
  return udpRequestResponseScenario({ client: '10.18.0.1', server: '10.18.0.2', serverPort: 9000, name: 'long-flow', ...p, interval, exchanges, delay: p.delay ?? 0.25 });
}

// ---------------------------------------------------------- linktypes ----

/** A short TCP session and a UDP exchange captured as Linux cooked (SLL, linktype 113). */
export function sllScenario(p: CommonParams = {}): Scenario {
  return linktypeScenario(LINKTYPE_LINUX_SLL, '10.19.0', p.name ?? 'linktype-sll', p);
}

/** The same on Linux cooked v2 (SLL2, linktype 276). */
export function sll2Scenario(p: CommonParams = {}): Scenario {
  return linktypeScenario(LINKTYPE_LINUX_SLL2, '10.20.0', p.name ?? 'linktype-sll2', p);
}

/** Raw IP (linktype 101): IPv4 TCP + UDP and an IPv6 UDP exchange (version from the first nibble). */
export function rawIpScenario(p: CommonParams = {}): Scenario {
  const s = linktypeScenario(LINKTYPE_RAW, '10.21.0', p.name ?? 'linktype-raw', p);
  const v6 = udpRequestResponseScenario({ client: '2001:db8:15::1', server: '2001:db8:15::2', serverPort: 53, exchanges: 1, at: (p.at ?? 0) + 0.3, seed: p.seed, linktype: LINKTYPE_RAW });
  return { name: s.name, packets: [...s.packets, ...v6.packets] };
}

function linktypeScenario(linktype: number, net: string, name: string, p: CommonParams): Scenario {
  const at = p.at ?? 0;
  const lt = p.linktype ?? linktype;
  const tcp = tcpFinScenario({ client: `${net}.1`, server: `${net}.2`, exchanges: 1, at, seed: p.seed, linktype: lt, vlans: p.vlans });
  const u = udpRequestResponseScenario({ client: `${net}.1`, server: `${net}.3`, exchanges: 2, at: at + 0.1, seed: p.seed, linktype: lt, vlans: p.vlans });
  return { name, packets: [...tcp.packets, ...u.packets] };
}

export interface SnaplenParams extends CommonParams {
  /** Full-size segments of the download. Default 12. */
  segments?: number;
  /** Also an IPv6 download. Default true. */
  ipv6?: boolean;
}

/**
 * Bulk TCP downloads with full-size segments, meant for a capture built with a
 * snaplen (e.g. 96): the records still count IP-layer bytes from the headers.
 * (A snaplen below the headers the parser needs makes those frames malformed;
 * expectFlows models that too.)
 */
export function snaplenScenario(p: SnaplenParams = {}): Scenario {
  const at = p.at ?? 0;
  const n = p.segments ?? 12;
  const v4 = tcpFinScenario({ client: '10.22.0.1', server: '10.22.0.2', exchanges: 1, responseBytes: n * 1448, requestBytes: 300, at, seed: p.seed, vlans: p.vlans, linktype: p.linktype });
  const packets = [...v4.packets];
  if (p.ipv6 ?? true) {
    packets.push(...tcpFinScenario({ client: '2001:db8:16::1', server: '2001:db8:16::2', exchanges: 1, responseBytes: n * 1448, requestBytes: 300, at: at + 0.05, seed: p.seed, vlans: p.vlans, linktype: p.linktype }).packets);
  }
  return { name: p.name ?? 'snaplen', packets };
}

// -------------------------------------------------------------- mixed ----

export interface MixedParams {
  /** Include the SLL, SLL2 and raw-IP scenarios (frames of several link types: write as pcapng). Default false. */
  linktypes?: boolean;
  /** Include idle-gap (default gap 20 s) and long-flow (12 s). Default true. */
  timeouts?: boolean;
}

/** Every scenario (bar snaplen) once, with seed-dependent ports/sizes and start times in the first ~2 s. */
export function mixedScenarios(seed: number, p: MixedParams = {}): Scenario[] {
  const rng = new Prng(seed);
  const at = (): number => rng.int(0, 2000) / 1000;
  const s = (): number => rng.u32();
  const list: Scenario[] = [
    tcpFinScenario({ at: at(), seed: s() }),
    tcpRstScenario({ at: at(), seed: s() }),
    tcpPortReuseScenario({ at: at(), seed: s() }),
    udpRequestResponseScenario({ at: at(), seed: s() }),
    dnsScenario({ at: at(), seed: s() }),
    icmpEchoScenario({ at: at(), seed: s() }),
    icmpUnreachableScenario({ at: at(), seed: s() }),
    ipv6TcpExtHeadersScenario({ at: at(), seed: s() }),
    ipv6UdpScenario({ at: at(), seed: s() }),
    icmpv6EchoScenario({ at: at(), seed: s() }),
    sctpScenario({ at: at(), seed: s() }),
    vlanScenario({ at: at(), seed: s() }),
    qinqScenario({ at: at(), seed: s() }),
    fragmentedUdpV4Scenario({ at: at(), seed: s() }),
    fragmentedUdpV6Scenario({ at: at(), seed: s() }),
    orphanFragmentScenario({ at: at(), seed: s() }),
  ];
  if (p.timeouts ?? true) list.push(idleGapScenario({ at: at(), seed: s() }), longFlowScenario({ at: at(), seed: s() }));
  if (p.linktypes) list.push(sllScenario({ at: at(), seed: s() }), sll2Scenario({ at: at(), seed: s() }), rawIpScenario({ at: at(), seed: s() }));
  return list;
}

/** buildCapture(mixedScenarios(seed, p), opts). */
export function buildMixedCapture(seed: number, opts: BuildOptions & MixedParams = {}): Capture {
  return buildCapture(mixedScenarios(seed, opts), opts);
}

/** Every named scenario by its default name, for CLIs and table-driven tests. */
export const SCENARIOS: Readonly<Record<string, (p?: CommonParams) => Scenario>> = {
  'tcp-fin': (p) => tcpFinScenario(p),
  'tcp-rst': (p) => tcpRstScenario(p),
  'tcp-port-reuse': (p) => tcpPortReuseScenario(p),
  'udp-request-response': (p) => udpRequestResponseScenario(p),
  dns: (p) => dnsScenario(p),
  'icmp-echo': (p) => icmpEchoScenario(p),
  'icmp-unreachable': (p) => icmpUnreachableScenario(p),
  'ipv6-tcp-ext-headers': (p) => ipv6TcpExtHeadersScenario(p),
  'ipv6-udp': (p) => ipv6UdpScenario(p),
  'icmpv6-echo': (p) => icmpv6EchoScenario(p),
  sctp: (p) => sctpScenario(p),
  'vlan-8021q': (p) => vlanScenario(p),
  'vlan-qinq': (p) => qinqScenario(p),
  'fragments-ipv4': (p) => fragmentedUdpV4Scenario(p),
  'fragments-ipv6': (p) => fragmentedUdpV6Scenario(p),
  'fragments-orphan': (p) => orphanFragmentScenario(p),
  'idle-gap': (p) => idleGapScenario(p),
  'long-flow': (p) => longFlowScenario(p),
  'linktype-sll': (p) => sllScenario(p),
  'linktype-sll2': (p) => sll2Scenario(p),
  'linktype-raw': (p) => rawIpScenario(p),
  snaplen: (p) => snaplenScenario(p),
};
