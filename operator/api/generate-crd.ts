// Writes crds/tapline.dev_snifferpolicies.yaml from the zod schema, or with --check exits 1 when
// the file on disk differs (the `make manifests` verification of controller-gen projects).
//
//   node dist/operator/api/generate-crd.js [--check] [--out FILE]
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Document, type DocumentOptions, type ToStringOptions } from 'yaml';
import { customResourceDefinition } from './crd.js';

export const CRD_FILE = path.join('crds', 'tapline.dev_snifferpolicies.yaml');

const HEADER = ' Generated from operator/api (zod schema) by `node dist/operator/api/generate-crd.js`. Do not edit.';

/**
 * How we write YAML for Kubernetes: strings quoted wherever a YAML 1.1 reader (kubectl's and
 * Helm's go-yaml) would take them for another type ("on", "y", "0755"), and long strings kept on
 * one line (no folding), so a diff shows the changed description and nothing else.
 */
export const YAML_OPTIONS = { version: '1.1', lineWidth: 0 } as const satisfies DocumentOptions & ToStringOptions;

/** One YAML document starting with "---", an optional comment above it. */
export function yamlDocument(value: unknown, comment?: string): string {
  const doc = new Document(value, YAML_OPTIONS);
  if (comment !== undefined) doc.commentBefore = comment;
  return doc.toString({ ...YAML_OPTIONS, directives: true });
}

export function renderCrdYaml(): string {
  return yamlDocument(customResourceDefinition(), HEADER);
}

/** The repository root: the nearest directory above this file with tapline's package.json. */
function repoRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pj = path.join(dir, 'package.json');
    if (existsSync(pj) && (JSON.parse(readFileSync(pj, 'utf8')) as { name?: string }).name === 'tapline') return dir;
    const up = path.dirname(dir);
    if (up === dir) throw new Error('cannot find the tapline repository root');
    dir = up;
  }
}

function main(): number {
  const { values } = parseArgs({ options: { check: { type: 'boolean', default: false }, out: { type: 'string' } } });
  const file = values.out ?? path.join(repoRoot(), CRD_FILE);
  const want = renderCrdYaml();
  if (values.check) {
    let have = '';
    try {
      have = readFileSync(file, 'utf8');
    } catch {
      // a missing file differs
    }
    if (have !== want) {
      process.stderr.write(`${file} is out of date: run node dist/operator/api/generate-crd.js\n`);
      return 1;
    }
    process.stdout.write(`${file} is up to date\n`);
    return 0;
  }
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, want);
  process.stdout.write(`wrote ${file}\n`);
  return 0;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) process.exitCode = main();
