// node:util parseArgs in strict mode, with its errors turned into usage errors (exit 2).
import { parseArgs, type ParseArgsConfig } from 'node:util';

import { UsageError } from './usage-error.js';

export function parseFlags<T extends ParseArgsConfig>(config: T): ReturnType<typeof parseArgs<T>> {
  try {
    return parseArgs(config);
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : String(err));
  }
}
