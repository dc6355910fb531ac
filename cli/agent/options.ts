// `tapline agent` flags.

import { parseFlags } from '../parse-flags.js';
import { UsageError } from '../usage-error.js';

export interface AgentCliOptions {
  config: string;
  check: boolean;
}

export function parseAgentArgs(args: string[]): AgentCliOptions | 'help' {
  const parsed = parseFlags({
    args,
    allowPositionals: false,
    strict: true,
    options: {
      config: { type: 'string', short: 'c' },
      check: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const v = parsed.values;
  if (v.help) return 'help';
  if (!v.config) throw new UsageError('--config: a config FILE is required');
  return { config: v.config, check: v.check === true };
}
