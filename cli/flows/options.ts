// The time flags of `tapline observe` and `tapline top`: `--since 10m` (or an RFC 3339 time) reads
// from the first message the stream stored at or after that time (DeliverPolicy StartTime).
import { UsageError } from '../usage-error.js';

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `1500ms`, `30s`, `10m`, `2h`, `7d`, `1h30m`, in milliseconds; undefined when not a duration. */
export function parseDuration(s: string): number | undefined {
  if (!/^(\d+(\.\d+)?(ms|s|m|h|d))+$/.test(s)) return undefined;
  let ms = 0;
  for (const m of s.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h|d)/g)) ms += Number(m[1]) * UNIT_MS[m[2]!]!;
  return ms;
}

/** The start time of `--since DURATION|TIME`; throws UsageError. */
export function sinceTime(flag: string, s: string, now = Date.now()): Date {
  const d = parseDuration(s);
  if (d !== undefined) {
    if (d <= 0) throw new UsageError(`${flag}: must be more than 0`);
    return new Date(now - d);
  }
  if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(s)) {
    const t = new Date(s);
    if (!Number.isNaN(t.getTime())) return t;
  }
  throw new UsageError(`${flag}: ${JSON.stringify(s)} is neither a duration (30s, 10m, 2h, 1d) nor an RFC 3339 time (2025-01-31T12:00:00Z)`);
}

/** A whole number flag within [min, max]. */
export function wholeNumber(flag: string, s: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const n = Number(s);
  if (!/^\d+$/.test(s) || n < min || n > max) throw new UsageError(`${flag}: must be a whole number from ${min}${max < Number.MAX_SAFE_INTEGER ? ` to ${max}` : ' up'}`);
  return n;
}

/** Ctrl-C and SIGTERM abort the returned signal instead of killing the process; dispose() restores them. */
export function interruptSignal(): { signal: AbortSignal; dispose(): void } {
  const ac = new AbortController();
  const onSignal = (): void => ac.abort();
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    signal: ac.signal,
    dispose() {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}
