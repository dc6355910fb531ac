// A small deterministic YAML emitter for JSON-like data (maps in insertion order, block style),
// enough for generated manifests and golden files. Strings are plain when that is unambiguous and
// double-quoted (JSON escapes, valid YAML) otherwise.
type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

const PLAIN = /^[A-Za-z_/][A-Za-z0-9_ ./()'=+,-]*$/;
const RESERVED = /^(true|false|yes|no|on|off|y|n|null|~)$/i;

function scalar(v: null | boolean | number | string): string {
  if (v === null) return 'null';
  if (typeof v === 'boolean') return String(v);
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new Error(`cannot emit ${v} as YAML`);
    return String(v);
  }
  if (PLAIN.test(v) && !RESERVED.test(v) && !v.endsWith(' ') && !v.includes(' #') && !v.includes(': ')) return v;
  return JSON.stringify(v);
}

function key(k: string): string {
  return scalar(k);
}

function isEmptyCollection(v: Json): boolean {
  return typeof v === 'object' && v !== null && (Array.isArray(v) ? v.length === 0 : Object.keys(v).length === 0);
}

function collection(v: Json[] | { [k: string]: Json }, indent: string): string[] {
  const lines: string[] = [];
  if (Array.isArray(v)) {
    for (const item of v) {
      if (typeof item === 'object' && item !== null && !isEmptyCollection(item)) {
        const inner = collection(item, `${indent}  `);
        // The first line of the item's block goes after the dash.
        lines.push(`${indent}- ${inner[0]!.slice(indent.length + 2)}`, ...inner.slice(1));
      } else {
        lines.push(`${indent}- ${inline(item)}`);
      }
    }
    return lines;
  }
  for (const [k, item] of Object.entries(v)) {
    if (item === undefined) continue;
    if (typeof item === 'object' && item !== null && !isEmptyCollection(item)) {
      lines.push(`${indent}${key(k)}:`);
      // Sequences in a map are indented like kubectl and controller-gen write them.
      lines.push(...collection(item, `${indent}  `));
    } else if (typeof item === 'string' && literalOk(item)) {
      // Multi-line text (a config file in a ConfigMap) as a literal block, readable in diffs.
      const body = item.endsWith('\n') ? item.slice(0, -1) : item;
      lines.push(`${indent}${key(k)}: ${item.endsWith('\n') ? '|' : '|-'}`);
      for (const l of body.split('\n')) lines.push(l === '' ? '' : `${indent}  ${l}`);
    } else {
      lines.push(`${indent}${key(k)}: ${inline(item)}`);
    }
  }
  return lines;
}

/** Text a literal block scalar reproduces exactly: printable, no trailing blanks, no leading indent. */
function literalOk(s: string): boolean {
  return (
    s.includes('\n') &&
    !/[\t\r\x00-\x08\x0b-\x1f\x7f]/.test(s) &&
    !/ \n|\n\n$| $/.test(s) &&
    !/^[ \n]/.test(s)
  );
}

function inline(v: Json): string {
  if (Array.isArray(v)) return '[]';
  if (typeof v === 'object' && v !== null) return '{}';
  return scalar(v);
}

/** One YAML document (no leading "---"), ending with a newline. */
export function toYaml(value: unknown): string {
  const v = JSON.parse(JSON.stringify(value)) as Json;
  if (typeof v !== 'object' || v === null) return `${scalar(v)}\n`;
  return `${collection(v, '').join('\n')}\n`;
}

/** Several documents separated by "---". */
export function toYamlStream(values: unknown[]): string {
  return values.map((v) => `---\n${toYaml(v)}`).join('');
}
