// The agent's fatal error reaches Kubernetes through the termination log: one line, replacing what
// the file held, only where the file exists (in a pod the kubelet mounts it), never failing the agent.
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { runAgentCommand } from '../../cli/agent/command.js';
import { terminationLogPath, writeTerminationMessage } from './termination-log.js';

const dir = () => mkdtempSync(path.join(tmpdir(), 'tapline-termlog-'));

describe('writeTerminationMessage', () => {
  it('replaces the file with the message on one line', () => {
    const f = path.join(dir(), 'termination-log');
    writeFileSync(f, 'an older, longer message from a previous run\n');
    expect(writeTerminationMessage('tapline agent: first line\n  second line', f)).toBe(true);
    expect(readFileSync(f, 'utf8')).toBe('tapline agent: first line second line');
  });

  it('never creates the file and never throws (outside a pod; a directory; no permission)', () => {
    const d = dir();
    const missing = path.join(d, 'termination-log');
    expect(writeTerminationMessage('x', missing)).toBe(false);
    expect(existsSync(missing)).toBe(false);
    expect(writeTerminationMessage('x', d)).toBe(false);
    expect(writeTerminationMessage('x', path.join(d, 'no', 'such', 'dir'))).toBe(false);
  });

  it('keeps at most the 4096 bytes the kubelet keeps', () => {
    const f = path.join(dir(), 'termination-log');
    writeFileSync(f, '');
    writeTerminationMessage(`tapline agent: ${'é'.repeat(5000)}`, f);
    const text = readFileSync(f, 'utf8');
    expect(Buffer.byteLength(text)).toBeLessThanOrEqual(4096);
    expect(text.endsWith('…')).toBe(true);
    expect(text).not.toContain('\uFFFD');
  });

  it('goes to /dev/termination-log unless $TAPLINE_TERMINATION_LOG names another file', () => {
    expect(terminationLogPath({})).toBe('/dev/termination-log');
    expect(terminationLogPath({ TAPLINE_TERMINATION_LOG: '/tmp/x' })).toBe('/tmp/x');
  });
});

describe('tapline agent on a fatal error', () => {
  const saved = process.env.TAPLINE_TERMINATION_LOG;
  afterEach(() => {
    if (saved === undefined) delete process.env.TAPLINE_TERMINATION_LOG;
    else process.env.TAPLINE_TERMINATION_LOG = saved;
    vi.restoreAllMocks();
  });

  it('writes the line it prints on stderr to the termination log, and exits 1', async () => {
    const f = path.join(dir(), 'termination-log');
    writeFileSync(f, '');
    process.env.TAPLINE_TERMINATION_LOG = f;
    const stderr: string[] = [];
    vi.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => {
      stderr.push(String(s));
      return true;
    });
    const missingConfig = path.join(dir(), 'agent.json');
    expect(await runAgentCommand(['--config', missingConfig])).toBe(1);
    const message = readFileSync(f, 'utf8');
    expect(message).toMatch(/^tapline agent: /);
    expect(message).toContain(missingConfig);
    expect(stderr.join('')).toBe(`${message}\n`);
  });

  it('writes an error it does not handle itself too (here a bad command line), and still throws it', async () => {
    const f = path.join(dir(), 'termination-log');
    writeFileSync(f, '');
    process.env.TAPLINE_TERMINATION_LOG = f;
    await expect(runAgentCommand(['--no-such-flag'])).rejects.toThrow();
    expect(readFileSync(f, 'utf8')).toMatch(/^tapline agent: .*no-such-flag/);
  });
});
