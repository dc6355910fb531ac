// Runs the pinned helm and kubeconform (built once by scripts/helm/tools.mjs from
// test/helm/tools/go.mod) on charts/tapline, and reads what they print.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { ensureHelmTools } from '../../../scripts/helm/tools.mjs';

export const REPO = process.cwd();
export const CHART = path.join(REPO, 'charts', 'tapline');
export const GOLDEN_DIR = path.join(REPO, 'test', 'helm', 'golden');
export const RELEASE = 'tapline';
export const NAMESPACE = 'tapline-system';

let tools: Promise<{ helm: string; kubeconform: string }> | undefined;
/** Paths of helm and kubeconform (built on first use; minutes cold, then instant). */
export function helmTools(): Promise<{ helm: string; kubeconform: string }> {
  tools ??= ensureHelmTools({ log: (m) => process.stderr.write(`${m}\n`) }).then((r) => r.paths);
  return tools;
}

export interface RunResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

export function run(cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv; input?: string; cwd?: string } = {}): RunResult {
  const r = spawnSync(cmd, args, {
    encoding: 'utf8',
    cwd: opts.cwd ?? REPO,
    input: opts.input,
    env: { ...process.env, ...helmHome(), ...opts.env },
    maxBuffer: 64 * 1024 * 1024,
    timeout: 120_000,
  });
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

// helm keeps config, cache and data under $HOME; give it directories of its own so tests never
// read or write the user's repositories and plugins.
let home: Record<string, string> | undefined;
function helmHome(): Record<string, string> {
  if (!home) {
    const d = mkdtempSync(path.join(tmpdir(), 'tapline-helm-'));
    home = { HELM_CONFIG_HOME: `${d}/config`, HELM_CACHE_HOME: `${d}/cache`, HELM_DATA_HOME: `${d}/data` };
  }
  return home;
}

/** Writes a values file to a temporary directory and returns its path. */
export function valuesFile(values: unknown, name = 'values.yaml'): string {
  const d = mkdtempSync(path.join(tmpdir(), 'tapline-values-'));
  const p = path.join(d, name);
  writeFileSync(p, JSON.stringify(values, null, 2)); // JSON is YAML
  return p;
}

/** `helm template` of the chart with the given values files / --set flags. */
export async function helmTemplate(args: string[] = []): Promise<RunResult> {
  const { helm } = await helmTools();
  return run(helm, ['template', RELEASE, CHART, '--namespace', NAMESPACE, ...args]);
}

/** Same, and fails with helm's message unless it succeeded. */
export async function renderChart(args: string[] = []): Promise<string> {
  const r = await helmTemplate(args);
  if (r.status !== 0) throw new Error(`helm template ${args.join(' ')} failed (${r.status}):\n${r.stderr}`);
  return r.stdout;
}

export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    generation?: number;
    resourceVersion?: string;
    managedFields?: { manager: string; operation: string; subresource?: string }[];
  };
  [k: string]: any;
}

/** The objects of a YAML stream (empty documents skipped); fails on a YAML error. */
export function parseManifests(text: string): K8sObject[] {
  const docs = parseAllDocuments(text);
  const out: K8sObject[] = [];
  for (const d of docs) {
    if (d.errors.length) throw new Error(`invalid YAML: ${d.errors.map((e) => e.message).join('; ')}`);
    const v = d.toJS() as K8sObject | null;
    if (v !== null && v !== undefined) out.push(v);
  }
  return out;
}

export function find(objs: K8sObject[], kind: string, name?: string): K8sObject {
  const hit = objs.filter((o) => o.kind === kind && (name === undefined || o.metadata.name === name));
  if (hit.length !== 1) throw new Error(`expected one ${kind}${name ? ` ${name}` : ''}, found ${hit.length}: ${objs.map((o) => `${o.kind}/${o.metadata.name}`).join(', ')}`);
  return hit[0]!;
}

/** The DPDK/SR-IOV values set of the golden test (examples/values-dpdk-sriov.yaml). */
export const DPDK_VALUES = path.join(REPO, 'examples', 'values-dpdk-sriov.yaml');
