// Command line for the generator (after tsc: node dist/test/gen/cli.js ...).
//
//   cli.js mix <out> [--packets N] [--flows N] [--seed N] [--rate PPS] [--snaplen N] [--format pcap|pcapng] [--precision us|ns] [--gzip]
//   cli.js flood <out> [--packets N] [--seed N] [--rate PPS] [--snaplen N] [--format ...] [--precision ...] [--gzip]
//   cli.js scenario <name|mixed> <out> [--seed N] [--precision us|ns] [--snaplen N] [--format pcap|pcapng] [--gzip]
//                   [--expect records.jsonl] [--idle-timeout S] [--active-timeout S]
//   cli.js list
//
// Benchmarks print their summary as JSON; `scenario --expect` writes the
// records the engine must export, one JSON object per line, sorted.
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

import { writeBenchFlood, writeBenchMix, type BenchSummary } from './bench.js';
import { type CaptureFormat } from './capture-writer.js';
import { expectFlows } from './flow-model.js';
import { writeCapture } from './index.js';
import { LINKTYPE_LINUX_SLL, LINKTYPE_LINUX_SLL2, LINKTYPE_RAW } from './packets.js';
import { buildCapture, type BuildOptions } from './scenario.js';
import { mixedScenarios, SCENARIOS } from './scenarios.js';
import { type TsPrecision } from './time.js';

const USAGE = `usage:
  cli.js mix <out> [--packets N] [--flows N] [--seed N] [--rate PPS] [--snaplen N] [--format pcap|pcapng] [--precision us|ns] [--gzip]
  cli.js flood <out> [--packets N] [--seed N] [--rate PPS] [--snaplen N] [--format pcap|pcapng] [--precision us|ns] [--gzip]
  cli.js scenario <name|mixed> <out> [--seed N] [--precision us|ns] [--snaplen N] [--format pcap|pcapng] [--gzip]
                  [--expect records.jsonl] [--idle-timeout S] [--active-timeout S]
  cli.js list`;

function num(v: string | undefined, what: string): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new RangeError(`--${what}: not a number: ${v}`);
  return n;
}

function printSummary(s: BenchSummary): void {
  process.stdout.write(`${JSON.stringify(s, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v), 2)}\n`);
}

function main(argv: string[]): number {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      packets: { type: 'string' },
      flows: { type: 'string' },
      seed: { type: 'string' },
      rate: { type: 'string' },
      snaplen: { type: 'string' },
      format: { type: 'string' },
      precision: { type: 'string' },
      gzip: { type: 'boolean' },
      expect: { type: 'string' },
      'idle-timeout': { type: 'string' },
      'active-timeout': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const [cmd, a, b] = positionals;
  if (values.help || cmd === undefined) {
    process.stdout.write(`${USAGE}\n`);
    return values.help ? 0 : 2;
  }
  const format = (values.format ?? 'pcap') as CaptureFormat;
  if (format !== 'pcap' && format !== 'pcapng') throw new RangeError(`--format: pcap or pcapng, not ${String(format)}`);
  const precision = (values.precision ?? 'us') as TsPrecision;
  if (precision !== 'us' && precision !== 'ns') throw new RangeError(`--precision: us or ns, not ${String(precision)}`);
  const common = {
    seed: num(values.seed, 'seed') ?? 1,
    format,
    precision,
    gzip: values.gzip ?? false,
    ...(values.packets !== undefined ? { packets: num(values.packets, 'packets') ?? 0 } : {}),
    ...(values.rate !== undefined ? { rate: num(values.rate, 'rate') ?? 1 } : {}),
    ...(values.snaplen !== undefined ? { snaplen: num(values.snaplen, 'snaplen') ?? 0 } : {}),
  };
  switch (cmd) {
    case 'list':
      process.stdout.write(`${['mixed', ...Object.keys(SCENARIOS)].join('\n')}\n`);
      return 0;
    case 'mix':
      if (a === undefined) break;
      printSummary(writeBenchMix(a, { ...common, ...(values.flows !== undefined ? { concurrentFlows: num(values.flows, 'flows') ?? 1 } : {}) }));
      return 0;
    case 'flood':
      if (a === undefined) break;
      printSummary(writeBenchFlood(a, common));
      return 0;
    case 'scenario': {
      if (a === undefined || b === undefined) break;
      const opts: BuildOptions = { precision, ...(common.snaplen !== undefined ? { snaplen: common.snaplen } : {}) };
      let capture;
      if (a === 'mixed') {
        capture = buildCapture(mixedScenarios(common.seed, { linktypes: format === 'pcapng' }), opts);
      } else {
        const make = SCENARIOS[a];
        if (!make) throw new RangeError(`unknown scenario ${a} (see: cli.js list)`);
        const linktype = a === 'linktype-sll' ? LINKTYPE_LINUX_SLL : a === 'linktype-sll2' ? LINKTYPE_LINUX_SLL2 : a === 'linktype-raw' ? LINKTYPE_RAW : undefined;
        capture = buildCapture(make({ seed: common.seed }), { ...opts, ...(linktype !== undefined ? { linktype } : {}) });
      }
      writeCapture(capture, b, { format, gzip: common.gzip });
      if (values.expect !== undefined) {
        const records = expectFlows(capture, {
          ...(values['idle-timeout'] !== undefined ? { idleSec: num(values['idle-timeout'], 'idle-timeout') ?? 15 } : {}),
          ...(values['active-timeout'] !== undefined ? { activeSec: num(values['active-timeout'], 'active-timeout') ?? 1800 } : {}),
        });
        writeFileSync(values.expect, records.map((r) => JSON.stringify(r)).join('\n') + '\n');
      }
      process.stdout.write(`${b}: ${capture.frames.length} frames\n`);
      return 0;
    }
    default:
      break;
  }
  process.stderr.write(`${USAGE}\n`);
  return 2;
}

try {
  process.exitCode = main(process.argv.slice(2));
} catch (err) {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 2;
}
