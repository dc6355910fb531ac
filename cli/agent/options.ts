// `tapline agent` flags.
import { parseArgs } from 'node:util';

import { UsageError } from '../usage-error.js';

export interface AgentCliOptions {
  config: string;
  check: boolean;
}

export function parseAgentArgs(args: string[]): AgentCliOptions | 'help' {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: false,
      strict: true,
      options: {
        config: { type: 'string', short: 'c' },
        check: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : String(err));
  }
  const v = parsed.values;
  if (v.help) return 'help';
  if (!v.config) throw new UsageError('--config: a config FILE is required');
  return { config: v.config, check: v.check === true };
}
