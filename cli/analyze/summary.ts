// The end-of-run summary (stderr) and the start-up line that states the
// memory the flow tables took.
import { nonZeroMalformed, type EngineInfo, type EngineStats } from '../../agent/engine/stats.js';
import { byteSize, rate, thousands } from '../format.js';

const LINK_TYPE_NAMES: Readonly<Record<number, string>> = {
  105: 'IEEE 802.11', 127: 'IEEE 802.11 radiotap', 9: 'PPP', 50: 'PPP over HDLC', 104: 'Cisco HDLC', 195: 'IEEE 802.15.4',
};

export function startLine(file: string, info: EngineInfo, stats: EngineStats): string {
  const perWorker = Number(stats.flows.capacity) / info.workers;
  return `tapline analyze: ${file}: ${info.workers} worker${info.workers === 1 ? '' : 's'}, flow tables ${thousands(info.workers)} x ${thousands(perWorker)} flows, ${byteSize(info.memoryBytes)} allocated\n`;
}

export function unsupportedLinkTypeLine(stats: EngineStats): string | null {
  const n = stats.malformed['unsupportedLinkType'] ?? 0n;
  if (n === 0n) return null;
  const lt = Number(stats.input.unsupportedLinkType);
  const name = LINK_TYPE_NAMES[lt] ? ` (${LINK_TYPE_NAMES[lt]})` : '';
  return `link type ${lt}${name} is not supported: ${thousands(n)} packet${n === 1n ? '' : 's'} skipped (supported: Ethernet, Linux cooked v1/v2, raw IP, BSD loopback)`;
}

export function summary(stats: EngineStats, wallSeconds: number): string {
  const nonFlow = stats.packets - stats.flowPackets - stats.malformedTotal;
  const lines = [
    `packets     ${thousands(stats.packets)} (in flows ${thousands(stats.flowPackets)}, not IP ${thousands(nonFlow)}, malformed ${thousands(stats.malformedTotal)})`,
    `bytes       ${thousands(stats.bytes)} (${byteSize(stats.bytes)} on the wire)`,
    `flows       ${thousands(stats.flows.exported)} records (created ${thousands(stats.flows.created)}, evicted ${thousands(stats.flows.evicted)}, export ring drops ${thousands(stats.ring.drops)})`,
  ];
  const malformed = nonZeroMalformed(stats);
  if (malformed.length > 0) lines.push(`malformed   ${malformed.map(([k, v]) => `${k} ${thousands(v)}`).join(', ')}`);
  const frags = stats.fragments.unmatched;
  if (frags > 0n) lines.push(`fragments   ${thousands(frags)} without their first fragment (ports 0)`);
  lines.push(`time        ${wallSeconds.toFixed(3)} s, ${rate(stats.packets, wallSeconds)} packets/s`);
  return lines.map((l) => `  ${l}`).join('\n') + '\n';
}
