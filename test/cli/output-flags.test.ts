// The output flags analyze and capture share (--nats ..., --detect ...): every bad combination
// or value exits 2 with a message naming the flag, before anything is opened; NATS that cannot be
// reached fails the run (exit 1) before any input is read, for capture as for analyze.
import path from 'node:path';

import { describe, expect, it } from 'vitest';

import { packageRoot } from '../../agent/engine/binding.js';
import { freePort } from '../nats/server.js';
import { tapline } from '../support/cli.js';

const dnsTcp = path.resolve(packageRoot(), '..', 'shared', 'pcaps', 'tcpdump-tests', 'dns_tcp.pcap');
// Nothing is opened for a bad command line, so an interface that does not exist is fine here.
const commands: Record<string, string[]> = {
  analyze: ['analyze', dnsTcp],
  capture: ['capture', '--backend', 'afpacket', '--iface', 'tapline-none0', '--duration', '1'],
};

const BAD: Array<[string, string[], RegExp]> = [
  ['a NATS flag without --nats', ['--stream', 'X'], /--stream: only with --nats/],
  ['--node without --nats', ['--node', 'n1'], /--node: only with --nats/],
  ['a URL that is not NATS', ['--nats', 'http://x:4222'], /--nats: must be a URL like nats:\/\/host:4222/],
  ['credentials in the URL', ['--nats', 'nats://u:secret@x:4222'], /--nats: credentials in the URL are not accepted/],
  ['--format with --nats', ['--nats', 'nats://127.0.0.1:4222', '--format', 'table'], /--format: not with --nats/],
  ['--top with --nats', ['--nats', 'nats://127.0.0.1:4222', '--top', '5'], /--top: not with --nats/],
  ['a threshold without --detect', ['--syn-flood-rate', '100'], /--syn-flood-rate: only with --detect/],
  ['--volumetric-pps without --detect', ['--volumetric-pps', '100'], /--volumetric-pps: only with --detect/],
  ['a port-scan threshold below 2', ['--detect', '--port-scan-ports', '1'], /--port-scan-ports: must be at least 2/],
  ['a rate that is not a number', ['--detect', '--syn-flood-rate', 'lots'], /--syn-flood-rate: must be a whole number/],
];

describe.each(Object.keys(commands))('tapline %s output flags', (command) => {
  it.each(BAD)('%s: exit 2 naming the flag', async (_, flags, message) => {
    const r = await tapline([...(commands[command] ?? []), ...flags]);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`^tapline ${command}: ${message.source}`));
    expect(r.stderr).toContain(`usage: tapline ${command}`);
  });

  it('NATS that cannot be reached: exit 1 before any input is read', async () => {
    const port = await freePort();
    const r = await tapline([...(commands[command] ?? []), '--nats', `nats://127.0.0.1:${port}`, '--detect']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`cannot connect to NATS (nats://127.0.0.1:${port})`);
    expect(r.stderr).not.toMatch(/listening|worker/); // neither the file nor the interface was opened
  });
});
