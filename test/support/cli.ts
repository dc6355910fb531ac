// Runs the built `tapline` command (bin/tapline.js -> dist/) as a user would.
import { spawn } from 'node:child_process';
import path from 'node:path';

import { packageRoot } from '../../agent/engine/binding.js';

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function tapline(args: string[], opts: { stdoutLimit?: number } = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(packageRoot(), 'bin', 'tapline.js'), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      // Like `| head`: close the pipe early once enough has arrived.
      if (opts.stdoutLimit !== undefined && stdout.length >= opts.stdoutLimit) child.stdout.destroy();
    });
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}
