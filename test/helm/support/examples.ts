// examples/: the policy files, and the ones the kustomization lists.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { REPO, parseManifests, type K8sObject } from './helm.js';

export const EXAMPLES = path.join(REPO, 'examples');
export const POLICY_FILES = ['afpacket.yaml', 'dpdk-sriov.yaml', 'ddos-watch.yaml', 'dpdk-vdev.yaml'];
/** The namespace kustomization.yaml puts the policies in (the chart watches it when installed there). */
export const EXAMPLES_NAMESPACE = 'tapline';

export function examplePolicy(file: string): K8sObject {
  const objs = parseManifests(readFileSync(path.join(EXAMPLES, file), 'utf8'));
  if (objs.length !== 1) throw new Error(`${file}: expected one object, found ${objs.length}`);
  return objs[0]!;
}

export function kustomization(): { namespace: string; resources: string[]; [k: string]: unknown } {
  return parse(readFileSync(path.join(EXAMPLES, 'kustomization.yaml'), 'utf8'));
}
