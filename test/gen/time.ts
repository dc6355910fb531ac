// Capture timestamps: nanoseconds since the Unix epoch as bigint (exact), and
// their RFC 3339 text as the engine writes it (UTC, "Z", the fraction cut, not
// rounded, to the capture's digits).

export type TsPrecision = 'us' | 'ns';

export const NS_PER_SEC = 1_000_000_000n;

/** Sub-second digits of a precision: 6 for microsecond, 9 for nanosecond captures. */
export function precisionDigits(p: TsPrecision): number {
  return p === 'us' ? 6 : 9;
}

/** Drops what a capture of this precision cannot hold (microsecond pcap truncates to whole microseconds). */
export function quantize(tsNs: bigint, p: TsPrecision): bigint {
  return p === 'us' ? tsNs - (tsNs % 1000n) : tsNs;
}

/** "2023-11-14T22:13:20.123456Z" with `digits` fraction digits (0: no fraction). */
export function formatRfc3339(tsNs: bigint, digits: number): string {
  if (tsNs < 0n) throw new RangeError('timestamps before 1970 are not supported');
  const sec = tsNs / NS_PER_SEC;
  const frac = tsNs % NS_PER_SEC;
  const base = new Date(Number(sec) * 1000).toISOString().slice(0, 19);
  if (digits <= 0) return `${base}Z`;
  const d = Math.min(digits, 9);
  const f = frac.toString().padStart(9, '0').slice(0, d);
  return `${base}.${f}Z`;
}

/** Seconds (may be fractional) to whole nanoseconds. */
export function secondsToNs(s: number): bigint {
  const whole = Math.floor(s);
  return BigInt(whole) * NS_PER_SEC + BigInt(Math.round((s - whole) * 1e9));
}
