// Idle gaps and long flows, for the idle and active timeouts.
import { Prng } from '../prng.js';
import { type Scenario } from '../scenario.js';
import { ephemeralPort, packet } from './common.js';
import { type UdpParams, udpRequestResponseScenario } from './udp.js';

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
