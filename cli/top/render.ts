// One screen of `tapline top` as plain text lines, fitted to a width (and, on a terminal, a
// height): sections are laid side by side when there is room, columns are dropped on narrow
// terminals, and every line is cut to the width. No escape sequences here (cli/top/screen.ts
// draws the lines on a terminal; the batch mode prints them).
import type { AlertMessage } from '../../agent/export/payload-schemas.js';
import { byteSize, thousands } from '../format.js';
import { alertDetail, alertKey, micros, shortTime } from '../flows/format.js';
import type { AlertLife, Percentiles, TopModel } from './model.js';

export interface FrameOptions {
  width: number;
  /** Lines available; undefined: as many as needed (batch mode). */
  height?: number | undefined;
  now: number;
  /** What is being watched, for the title line. */
  title: string;
  /** The hint at the end of the title line (interactive: "q quits"). */
  hint?: string;
}

/** A rate per second, short: 950, 12.3k, 4.56M. */
export function perSecond(n: number, seconds: number): string {
  const r = n / Math.max(seconds, 1e-9);
  if (r >= 1e6) return `${(r / 1e6).toFixed(2)}M`;
  if (r >= 1e4) return `${(r / 1e3).toFixed(1)}k`;
  return r >= 100 || r === 0 ? thousands(Math.round(r)) : r.toFixed(1);
}

export function fit(s: string, width: number): string {
  if (s.length <= width) return s;
  return width <= 1 ? s.slice(0, width) : `${s.slice(0, width - 1)}…`;
}

function pad(s: string, width: number, right = false): string {
  const f = fit(s, width);
  return right ? f.padStart(width) : f.padEnd(width);
}

function percentileText(label: string, p: Percentiles | undefined): string {
  if (!p) return `${label} -`;
  return `${label} p50 ${micros(p.p50)}  p90 ${micros(p.p90)}  p99 ${micros(p.p99)}  (${thousands(p.n)} flows)`;
}

function talkerLines(title: string, rows: Array<[string, number]>, width: number, seconds: number): string[] {
  const valueWidth = 12;
  const nameWidth = Math.max(8, width - valueWidth - 3);
  const out = [pad(title, width)];
  if (rows.length === 0) out.push(pad('  -', width));
  for (const [k, v] of rows) out.push(`  ${pad(k, nameWidth)} ${pad(`${byteSize(Math.round(v / seconds))}/s`, valueWidth, true)}`.padEnd(width));
  return out;
}

function sideBySide(left: string[], right: string[], width: number, gap = 3): string[] {
  const n = Math.max(left.length, right.length);
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push(`${(left[i] ?? '').padEnd(width)}${' '.repeat(gap)}${right[i] ?? ''}`.trimEnd());
  return out;
}

function attackLine(l: AlertLife, width: number): string {
  const a = l.last;
  const active = a.state !== 'resolved';
  const head = `  ${(active ? 'ACTIVE' : 'RESOLVED').padEnd(8)} ${a.type.padEnd(10)} ${alertKey(a).padEnd(20)} ${a.node}`;
  const tail = active ? `  ${a.state} ${alertDetail(a)}` : `  raised ${shortTime(l.first.firstSeen)}, quiet since ${shortTime(a.lastSeen)}`;
  return fit(head + tail, width);
}

function heavyLine(a: AlertMessage, width: number): string {
  return fit(`  heavy hitters ${a.node}: ${alertDetail(a, 5)}`, width);
}

/** One frame of the view. */
export function renderFrame(model: TopModel, o: FrameOptions): string[] {
  const width = Math.max(20, o.width);
  const tall = o.height === undefined || o.height >= 30;
  const top = o.height === undefined ? 8 : tall ? 8 : 4;
  const w = model.window(o.now, top);
  const t = model.totals;
  const s = w.seconds;
  const lines: string[] = [];
  const clock = new Date(o.now).toISOString().slice(11, 19);
  const title = `tapline top  ${o.title}  ${clock} UTC  window ${s}s`;
  lines.push(o.hint && title.length + o.hint.length + 2 <= width ? `${title}${' '.repeat(width - title.length - o.hint.length)}${o.hint}` : title);
  lines.push(`flows/s ${perSecond(w.records, s)}   packets/s ${perSecond(w.packets, s)}   bytes/s ${byteSize(Math.round(w.bytes / s))}`);
  lines.push(`read: ${thousands(t.records)} flows in ${thousands(t.batches)} batches, ${thousands(t.alerts.length)} alerts${t.invalid ? `, ${t.invalid} invalid messages` : ''}`);
  lines.push('');

  // per node: drop columns that do not fit
  const cols: Array<[string, number, (n: string) => string]> = [
    ['FLOWS/S', 9, (n) => perSecond(w.byNode.get(n)?.records ?? 0, s)],
    ['PKTS/S', 9, (n) => perSecond(w.byNode.get(n)?.packets ?? 0, s)],
    ['BYTES/S', 11, (n) => byteSize(Math.round((w.byNode.get(n)?.bytes ?? 0) / s))],
    ['FLOWS READ', 11, (n) => thousands(t.byNode.get(n)?.records ?? 0)],
  ];
  const nodeWidth = Math.min(30, Math.max(10, ...[...t.byNode.keys()].map((n) => n.length)));
  let shown = cols;
  while (shown.length > 1 && 2 + nodeWidth + shown.reduce((a, c) => a + c[1] + 1, 0) > width) shown = shown.slice(0, -1);
  lines.push(`  ${pad('NODE', nodeWidth)}${shown.map(([h, cw]) => ` ${pad(h, cw, true)}`).join('')}`);
  const nodes = [...t.byNode.keys()].sort();
  if (nodes.length === 0) lines.push('  (no flows yet)');
  for (const n of nodes) lines.push(`  ${pad(n, nodeWidth)}${shown.map(([, cw, f]) => ` ${pad(f(n), cw, true)}`).join('')}`);
  lines.push('');

  // top talkers: side by side when both fit in 45 columns or more
  if (width >= 94) {
    const half = Math.floor((width - 3) / 2);
    lines.push(...sideBySide(talkerLines('top workloads (bytes sent)', w.workloads, half, s), talkerLines('top addresses (bytes sent)', w.addresses, half, s), half));
  } else {
    lines.push(...talkerLines('top workloads (bytes sent)', w.workloads, width, s));
    lines.push(...talkerLines('top addresses (bytes sent)', w.addresses, width, s));
  }
  lines.push('');

  lines.push(`TCP latency   ${percentileText('handshake', w.handshake)}`);
  lines.push(`              ${percentileText('rtt min  ', w.rtt)}`);
  lines.push(`end reasons   ${[...t.endReasons].sort((a, b) => b[1] - a[1]).map(([r, n]) => `${r} ${thousands(n)}`).join(', ') || '-'}`);
  lines.push('');

  const attacks = [...model.attacks.values()];
  const active = attacks.filter((l) => l.last.state !== 'resolved').sort((a, b) => a.first.firstSeen.localeCompare(b.first.firstSeen));
  const resolved = attacks.filter((l) => l.last.state === 'resolved').sort((a, b) => b.last.lastSeen.localeCompare(a.last.lastSeen));
  lines.push(`alerts: ${active.length} active, ${resolved.length} resolved`);
  const alertLines = [...active, ...resolved].map((l) => attackLine(l, width));
  const hh = [...model.heavyHitters.values()].map((a) => heavyLine(a, width));
  if (o.height === undefined) lines.push(...alertLines, ...hh);
  else {
    const room = Math.max(1, o.height - lines.length - hh.length);
    lines.push(...alertLines.slice(0, room));
    if (alertLines.length > room) lines[lines.length - 1] = `  … ${alertLines.length - room + 1} more`;
    lines.push(...hh);
  }
  const fitted = lines.map((l) => fit(l, width).trimEnd());
  return o.height === undefined ? fitted : fitted.slice(0, o.height);
}
