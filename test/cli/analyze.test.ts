// `tapline analyze` as a user meets it: output formats, the summary, exit
// codes, and a clear one-line error for every way a file can be bad.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';

import { beforeAll, describe, expect, it } from 'vitest';

import { packageRoot } from '../../agent/engine/binding.js';
import { parseJsonLines } from '../../agent/engine/flow-record.js';
import { tapline } from '../support/cli.js';

const root = packageRoot();
const corpus = path.resolve(root, '..', 'shared', 'pcaps', 'tcpdump-tests');
const out = path.join(root, 'test', '.out', 'cli');
const dnsTcp = path.join(corpus, 'dns_tcp.pcap');

/** Byte offsets where each record of a classic pcap file starts. */
function pcapRecordOffsets(buf: Buffer): number[] {
  const le = buf.readUInt32BE(0) === 0xd4c3b2a1;
  const offsets: number[] = [];
  for (let at = 24; at + 16 <= buf.length; ) {
    offsets.push(at);
    at += 16 + (le ? buf.readUInt32LE(at + 8) : buf.readUInt32BE(at + 8));
  }
  return offsets;
}

beforeAll(() => mkdirSync(out, { recursive: true }));

describe('tapline analyze', () => {
  it('writes one schema-valid JSON record per flow and a summary on stderr', async () => {
    const r = await tapline(['analyze', dnsTcp]);
    expect(r.code).toBe(0);
    const records = parseJsonLines(r.stdout);
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({ srcAddr: '192.168.1.11', dstAddr: '209.87.249.18', dstPort: 53, proto: 6, packets: 6, revPackets: 5, endReason: 'fin' });
    expect(r.stderr).toMatch(/packets\s+11 \(in flows 11/);
    expect(r.stderr).toMatch(/flow tables 1 x [\d,]+ flows, [\d.]+ \w+ allocated/);
  });

  it('prints a top-N table with totals for --format table', async () => {
    const r = await tapline(['analyze', '--format', 'table', '--top', '5', path.join(corpus, 'dns_tcp.pcap')]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Top 1 of 1 flows by bytes');
    expect(r.stdout).toMatch(/1\s+tcp\s+192\.168\.1\.11:33779\s+209\.87\.249\.18:53\s+6\s+318 B\s+5\s+430 B/);
    expect(r.stdout).toContain('flows by end reason: fin 1');
  });

  it('reads gzip-compressed captures the same as plain ones', async () => {
    const gz = path.join(out, 'dns_tcp.pcap.gz');
    writeFileSync(gz, gzipSync(readFileSync(dnsTcp)));
    const [plain, zipped] = await Promise.all([tapline(['analyze', dnsTcp]), tapline(['analyze', gz])]);
    expect(zipped.code).toBe(0);
    expect(zipped.stdout).toBe(plain.stdout);
  });

  it('reports every complete packet of a file cut mid-packet, with a warning', async () => {
    const full = readFileSync(dnsTcp);
    const offsets = pcapRecordOffsets(full);
    const cut = path.join(out, 'cut.pcap');
    writeFileSync(cut, full.subarray(0, (offsets.at(-1) as number) + 20)); // inside the last packet
    const r = await tapline(['analyze', cut]);
    expect(r.code).toBe(0);
    const records = parseJsonLines(r.stdout);
    expect(records.reduce((n, x) => n + x.packets + x.revPackets, 0)).toBe(offsets.length - 1);
    expect(r.stderr).toMatch(/warning: file ends inside the data of record 11 at offset \d+ \(\d+ of \d+ bytes\)/);
  });

  it('ends with a clear one-line error and exit 1 for a missing, unreadable or non-capture file', async () => {
    const notCapture = path.join(out, 'notes.txt');
    writeFileSync(notCapture, 'hello, this is not a capture\n');
    const empty = path.join(out, 'empty.pcap');
    writeFileSync(empty, '');
    const cases: Array<[string, RegExp]> = [
      [path.join(out, 'missing.pcap'), /cannot open capture file '.*missing\.pcap': no such file$/],
      [out, /cannot open capture file '.*': a directory$/],
      [empty, /cannot open capture file '.*empty\.pcap': empty file$/],
      [notCapture, /cannot open capture file '.*notes\.txt': not a pcap or pcapng file \(magic 0x68656c6c\)$/],
    ];
    for (const [file, message] of cases) {
      const r = await tapline(['analyze', file]);
      expect(r.code, file).toBe(1);
      expect(r.stdout).toBe('');
      const lines = r.stderr.trim().split('\n');
      expect(lines, r.stderr).toHaveLength(1);
      expect(lines[0]).toMatch(message);
    }
  });

  it('stops with exit 1 at a corrupt record, after the records before it', async () => {
    const full = Buffer.from(readFileSync(dnsTcp));
    const offsets = pcapRecordOffsets(full);
    full.writeUInt32LE(0x7fffffff, (offsets[5] as number) + 8); // absurd caplen in record 6
    const bad = path.join(out, 'corrupt.pcap');
    writeFileSync(bad, full);
    const r = await tapline(['analyze', bad]);
    expect(r.code).toBe(1);
    expect(parseJsonLines(r.stdout).reduce((n, x) => n + x.packets + x.revPackets, 0)).toBe(5);
    expect(r.stderr).toMatch(/corrupt capture: record 6 at offset \d+: caplen 2147483647 exceeds the 262144-byte limit/);
  });

  it('refuses bad flags with exit 2 and a message naming the flag', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['--workers', '0'], /--workers: must be at least 1/],
      [['--workers', 'two'], /--workers: must be a whole number/],
      [['--format', 'xml'], /--format: must be one of jsonl, table/],
      [['--idle-timeout=-1'], /--idle-timeout: must be greater than 0/],
      [['--max-flows', '4'], /--max-flows: must be at least 16/],
      [['--bogus'], /Unknown option '--bogus'/],
    ];
    for (const [flags, message] of cases) {
      const r = await tapline(['analyze', ...flags, dnsTcp]);
      expect(r.code, flags.join(' ')).toBe(2);
      expect(r.stderr).toMatch(message);
    }
    const none = await tapline(['analyze']);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('a capture FILE is required');
  });

  it('ends quietly when stdout closes early (| head)', async () => {
    const big = path.join(corpus, 'ikev2pI2.pcap');
    const r = await tapline(['analyze', '--no-progress', big], { stdoutLimit: 1 });
    expect(r.stderr).not.toMatch(/EPIPE|Error/);
    expect([0, null]).toContain(r.code);
  });
});
