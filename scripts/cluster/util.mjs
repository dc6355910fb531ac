// Small helpers shared by the cluster scripts.
import { readFileSync } from 'node:fs';

/** The last `n` lines of a file ('' when it cannot be read). */
export function tailOfFile(path, n = 30) {
  try {
    const lines = readFileSync(path, 'utf8').split('\n');
    return lines.slice(-n - 1).join('\n');
  } catch {
    return '';
  }
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
