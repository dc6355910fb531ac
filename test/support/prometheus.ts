// Reading Prometheus text exposition (the operator's and the agent's /metrics) in tests and benchmarks.

/** Samples: `name{labels}` → value. */
export function parseMetrics(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const i = line.lastIndexOf(' ');
    out.set(line.slice(0, i), Number(line.slice(i + 1)));
  }
  return out;
}

function labelsOf(sample: string): Record<string, string> {
  const m = /\{(.*)\}$/.exec(sample);
  if (!m) return {};
  return Object.fromEntries([...m[1]!.matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((x) => [x[1]!, x[2]!]));
}

/** Sum of the samples of `name` whose labels contain every `match` pair. */
export function sumMetric(samples: Map<string, number>, name: string, match: Record<string, string> = {}): number {
  let sum = 0;
  for (const [k, v] of samples) {
    const base = k.includes('{') ? k.slice(0, k.indexOf('{')) : k;
    if (base !== name) continue;
    const labels = labelsOf(k);
    if (Object.entries(match).every(([lk, lv]) => labels[lk] === lv)) sum += v;
  }
  return sum;
}

export const WRITE_VERBS = ['create', 'update', 'patch', 'apply', 'delete'] as const;

/** Write requests in the samples, leaving out leader-election Lease renewals unless asked. */
export function writeCount(samples: Map<string, number>, { includeLeases = false } = {}): number {
  let n = 0;
  for (const verb of WRITE_VERBS) {
    n += sumMetric(samples, 'tapline_operator_api_requests_total', { verb });
    if (!includeLeases) n -= sumMetric(samples, 'tapline_operator_api_requests_total', { verb, resource: 'leases' });
  }
  return n;
}
