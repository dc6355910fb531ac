#!/usr/bin/env node
// Writes JSON Schemas of every kind a running API server serves (built-in kinds and installed
// CRDs, from its /openapi/v3), in the layout kubeconform's -schema-location expects of a
// kubernetes-json-schema tree:
//
//   <dir>/v<X.Y.Z>-standalone/<kind>-<group prefix>-<version>.json         e.g. deployment-apps-v1.json
//   <dir>/v<X.Y.Z>-standalone-strict/...                                    (unknown fields refused)
//
// so that `kubeconform -schema-location <dir> -kubernetes-version X.Y.Z [-strict]` validates
// manifests against exactly what the server would accept (we cannot download the published
// schemas). Each file is standalone: the definitions it references are copied into its own
// "definitions" (recursive types such as the CRD's JSONSchemaProps stay references).
//
// <dir> is <cache>/kube-schemas/<key>, <key> a hash of the server's OpenAPI document URLs (which
// carry content hashes), so a second run with the same server content only reads the index.
//
//   node scripts/helm/kube-schemas.mjs [--kubeconfig-dir DIR]   (default: the harness's cluster dir)
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { cacheRoot } from '../lib/go-tools.mjs';

const REF_PREFIX = '#/components/schemas/';

/** kubeconform's file name of a kind: lower-case kind, "-<first label of the group>" if any, "-<version>". */
export function schemaFileName({ group, version, kind }) {
  const g = group ? `-${group.split('.')[0].toLowerCase()}` : '';
  return `${kind.toLowerCase()}${g}-${version.toLowerCase()}.json`;
}

/** OpenAPI v3 schema -> JSON Schema: refs into "definitions", nullable as a "null" type, no formats. */
function convert(schema, { strict, refs }) {
  if (Array.isArray(schema)) return schema.map((s) => convert(s, { strict, refs }));
  if (schema === null || typeof schema !== 'object') return schema;
  const out = {};
  for (const [k, v] of Object.entries(schema)) {
    if (k === '$ref' && typeof v === 'string' && v.startsWith(REF_PREFIX)) {
      const name = v.slice(REF_PREFIX.length);
      refs.add(name);
      out.$ref = `#/definitions/${name}`;
    } else if (k === 'format' || k === 'nullable') {
      // format: OpenAPI formats (int32, int-or-string, quantity, byte) are not JSON Schema formats.
    } else if (k === 'properties' || k === 'patternProperties' || k === 'definitions') {
      out[k] = Object.fromEntries(Object.entries(v).map(([p, s]) => [p, convert(s, { strict, refs })]));
    } else if (k === 'enum' || k === 'default' || k === 'example' || k === 'const' || k.startsWith('x-')) {
      out[k] = v; // values, not schemas
    } else {
      out[k] = convert(v, { strict, refs });
    }
  }
  if (strict && out.properties && out.additionalProperties === undefined && !out['x-kubernetes-preserve-unknown-fields']) {
    out.additionalProperties = false;
  }
  if (schema.nullable === true) {
    if (typeof out.type === 'string') out.type = [out.type, 'null'];
    else return { anyOf: [out, { type: 'null' }] };
  }
  return out;
}

/** One standalone schema document for definition `name` of `all` (every definition of its group-version). */
export function standaloneSchema(name, all, strict) {
  const refs = new Set();
  const root = convert(all[name], { strict, refs });
  const definitions = {};
  const queue = [...refs];
  while (queue.length) {
    const r = queue.shift();
    if (definitions[r] !== undefined) continue;
    if (!all[r]) throw new Error(`OpenAPI: ${name} references ${r}, which the document does not define`);
    const inner = new Set();
    definitions[r] = convert(all[r], { strict, refs: inner });
    for (const x of inner) if (definitions[x] === undefined) queue.push(x);
  }
  return Object.keys(definitions).length ? { ...root, definitions } : root;
}

/**
 * Fetches the server's OpenAPI v3 and writes the schema tree (unless the same content is cached).
 * `get(path)` returns the parsed JSON body of a GET. Returns { dir, kubernetesVersion, files, cached }.
 */
export async function writeKubeSchemas({
  get, root = join(cacheRoot(), 'kube-schemas'), log = () => {}, require: requireGv = ['apis/tapline.dev/v1alpha1'], timeoutMs = 60_000,
}) {
  const version = await get('/version');
  const kubernetesVersion = String(version.gitVersion).replace(/^v/, '').replace(/[-+].*$/, '');
  // A CRD's group-version reaches /openapi/v3 a few seconds after the CRD is Established.
  const deadline = Date.now() + timeoutMs;
  let index = await get('/openapi/v3');
  while (requireGv.some((gv) => !index.paths?.[gv])) {
    if (Date.now() > deadline) {
      throw new Error(`kube-schemas: ${requireGv.filter((gv) => !index.paths?.[gv]).join(', ')} not in the server's /openapi/v3 after ${timeoutMs / 1000}s (is the CRD installed?)`);
    }
    await new Promise((r) => setTimeout(r, 500));
    index = await get('/openapi/v3');
  }
  const gvPaths = Object.entries(index.paths)
    .filter(([p]) => /^(api\/v1|apis\/[^/]+\/[^/]+)$/.test(p))
    .sort(([a], [b]) => a.localeCompare(b));
  const key = createHash('sha256')
    .update(`${kubernetesVersion}\0${gvPaths.map(([p, v]) => `${p}=${v.serverRelativeURL}`).join('\n')}`)
    .digest('hex').slice(0, 16);
  const dir = join(root, key);
  const variants = { [`v${kubernetesVersion}-standalone`]: false, [`v${kubernetesVersion}-standalone-strict`]: true };
  if (existsSync(join(dir, '.complete'))) {
    return { dir, kubernetesVersion, files: readdirSync(join(dir, Object.keys(variants)[1])).length, cached: true };
  }
  const tmp = `${dir}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  for (const v of Object.keys(variants)) mkdirSync(join(tmp, v), { recursive: true });
  const written = new Map(); // file name -> definition name (to catch two kinds mapping to one file)
  for (const [gvPath, { serverRelativeURL }] of gvPaths) {
    const doc = await get(serverRelativeURL);
    const all = doc.components?.schemas ?? {};
    const [, groupPart, gvVersion] = /^(?:api|apis\/([^/]+))\/([^/]+)$/.exec(gvPath);
    const group = groupPart ?? '';
    for (const [name, schema] of Object.entries(all)) {
      for (const gvk of schema['x-kubernetes-group-version-kind'] ?? []) {
        // Only the kinds this group-version serves (DeleteOptions, WatchEvent... list every group).
        if ((gvk.group ?? '') !== group || gvk.version !== gvVersion) continue;
        const file = schemaFileName(gvk);
        const prev = written.get(file);
        if (prev && prev !== name) {
          log(`kube-schemas: ${file} would hold both ${prev} and ${name}; keeping ${prev}`);
          continue;
        }
        written.set(file, name);
        for (const [variant, strict] of Object.entries(variants)) {
          writeFileSync(join(tmp, variant, file), JSON.stringify(standaloneSchema(name, all, strict)));
        }
      }
    }
  }
  writeFileSync(join(tmp, '.complete'), `${JSON.stringify({ kubernetesVersion, files: written.size }, null, 2)}\n`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(root, { recursive: true });
  renameSync(tmp, dir);
  // Every CRD change makes a new key: keep the newest few.
  const old = readdirSync(root, { withFileTypes: true })
    .filter((e) => e.isDirectory() && /^[0-9a-f]{16}$/.test(e.name) && e.name !== key)
    .map((e) => ({ p: join(root, e.name), t: statSync(join(root, e.name)).mtimeMs }))
    .sort((a, b) => b.t - a.t);
  for (const { p } of old.slice(3)) rmSync(p, { recursive: true, force: true });
  log(`kube-schemas: ${written.size} kinds of Kubernetes ${kubernetesVersion} in ${dir}`);
  return { dir, kubernetesVersion, files: written.size, cached: false };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { readState } = await import('../cluster/cluster.mjs');
  const { KubeClient } = await import('../cluster/kube-client.mjs');
  const i = process.argv.indexOf('--cluster-dir');
  const state = readState(i >= 0 ? process.argv[i + 1] : undefined);
  if (!state) {
    process.stderr.write('kube-schemas: no running cluster (npm run cluster:up, or --cluster-dir DIR)\n');
    process.exit(1);
  }
  const client = new KubeClient(state);
  const r = await writeKubeSchemas({ get: (p) => client.get(p), log: (m) => process.stderr.write(`${m}\n`) });
  process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
}
