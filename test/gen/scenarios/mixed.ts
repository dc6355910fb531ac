// Every scenario in one capture, and the table of named scenarios.
import { Prng } from '../prng.js';
import { buildCapture, type BuildOptions, type Capture, type Scenario } from '../scenario.js';
import { type CommonParams } from './common.js';
import { fragmentedUdpV4Scenario, fragmentedUdpV6Scenario, orphanFragmentScenario } from './fragments.js';
import { icmpEchoScenario, icmpv6EchoScenario, icmpUnreachableScenario } from './icmp.js';
import { ipv6TcpExtHeadersScenario, ipv6UdpScenario, sctpScenario } from './ipv6-sctp.js';
import { vlanScenario, qinqScenario } from './link.js';
import { sllScenario, sll2Scenario, rawIpScenario, snaplenScenario } from './link-types.js';
import { tcpFinScenario, tcpRstScenario, tcpPortReuseScenario } from './tcp.js';
import { idleGapScenario, longFlowScenario } from './timeouts.js';
import { udpRequestResponseScenario, dnsScenario, udp } from './udp.js';

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
