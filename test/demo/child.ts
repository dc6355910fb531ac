// A child process of the demo with its output in a log file, and a stop that sends SIGTERM,
// waits up to a grace period, then SIGKILL.
import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';

export interface DemoChild {
  /** The exit code once it has exited (null when killed by a signal); undefined while it runs. */
  exitCode(): number | null | undefined;
  /** SIGTERM, then SIGKILL after graceMs; resolves to the exit code. */
  stop(graceMs: number): Promise<number | null>;
}

export function spawnLogged(cmd: string, args: readonly string[], logPath: string, env: NodeJS.ProcessEnv = process.env): DemoChild {
  const out = createWriteStream(logPath);
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], env });
  child.stdout.pipe(out);
  child.stderr.pipe(out);
  let code: number | null | undefined;
  const exited = new Promise<number | null>((resolve) => {
    child.on('exit', (c) => resolve((code = c)));
    child.on('error', () => resolve((code = null)));
  });
  return {
    exitCode: () => code,
    async stop(graceMs) {
      if (code !== undefined) return code;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      try {
        return await exited;
      } finally {
        clearTimeout(timer);
      }
    },
  };
}
