// Golden files of the rendered objects. After an intended change, regenerate with
//   TAPLINE_UPDATE_GOLDEN=1 npx vitest run test/operator/render-golden.test.ts
// and review the diff.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { yamlDocument } from '../../operator/api/generate-crd.js';
import { objectsInApplyOrder, renderPolicy } from '../../operator/render/index.js';
import { AFPACKET_SPEC, DPDK_SPEC, policy, settings } from './support/render-fixtures.js';

const GOLDEN = path.join(process.cwd(), 'test', 'operator', 'golden');

function golden(file: string, actual: string): void {
  const p = path.join(GOLDEN, file);
  if (process.env.TAPLINE_UPDATE_GOLDEN === '1') writeFileSync(p, actual);
  expect(actual).toBe(readFileSync(p, 'utf8'));
}

describe('rendered objects match the golden files', () => {
  it('AF_PACKET policy', () => {
    const d = renderPolicy(policy('edge-taps', AFPACKET_SPEC), settings());
    golden('afpacket.yaml', objectsInApplyOrder(d).map((o) => yamlDocument(o)).join(''));
  });

  it('DPDK policy on an SR-IOV VF with 1Gi hugepages', () => {
    const d = renderPolicy(policy('core-dpdk', DPDK_SPEC), settings({ priorityClassName: 'system-node-critical', imagePullSecrets: ['regcred'] }));
    golden('dpdk-sriov-hugepages.yaml', objectsInApplyOrder(d).map((o) => yamlDocument(o)).join(''));
  });
});
