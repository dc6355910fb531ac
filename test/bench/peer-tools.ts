// Other tools on the same capture, timed end to end: tshark's conversation
// statistics and the Debian flow exporters argus and softflowd.
import { spawnSync } from 'node:child_process';

export interface ToolRun {
  tool: string;
  command: string;
  seconds: number;
  ok: boolean;
  note?: string;
}

export function timeCommand(tool: string, cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): ToolRun {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'], env, maxBuffer: 64 << 20 });
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const ok = r.status === 0;
  const run: ToolRun = { tool, command: [cmd, ...args].join(' '), seconds, ok };
  if (!ok) run.note = (r.error?.message ?? r.stderr?.toString().trim().split('\n').at(-1) ?? `exit ${r.status}`).slice(0, 200);
  return run;
}

export function peerRuns(file: string): ToolRun[] {
  return [
    timeCommand('tshark -q -z conv,ip', 'tshark', ['-n', '-q', '-z', 'conv,ip', '-r', file]),
    timeCommand('argus', 'argus', ['-r', file, '-w', '/dev/null']),
    // softflowd exports NetFlow; the collector address is loopback (nothing listens).
    timeCommand('softflowd', 'softflowd', ['-r', file, '-n', '127.0.0.1:9995', '-v', '9']),
  ];
}
