// test/e2e/kind.sh cannot run here (no container engine): keep it correct with shellcheck, and
// hold it to the chart and examples it uses.
import { spawnSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO } from './support/helm.js';

const SCRIPT = path.join(REPO, 'test', 'e2e', 'kind.sh');

describe('test/e2e/kind.sh', () => {
  it('passes shellcheck (every severity)', () => {
    const r = spawnSync('shellcheck', ['--severity=style', '--external-sources', '--format=gcc', SCRIPT], { encoding: 'utf8' });
    if (r.error) throw new Error(`shellcheck is not installed (Debian package shellcheck; npm test installs it): ${r.error.message}`);
    expect(r.stdout).toBe('');
    expect(r.status).toBe(0);
  });

  it('shellcheck does flag a broken script (the check is live)', () => {
    const r = spawnSync('shellcheck', ['-'], { input: '#!/bin/bash\nrm -rf $DIR/*\n', encoding: 'utf8' });
    expect(r.status).not.toBe(0);
    expect(r.stdout).toContain('SC2086');
  });

  it('is executable, strict, and uses the chart, both Dockerfiles and the AF_PACKET example', () => {
    expect(statSync(SCRIPT).mode & 0o111).not.toBe(0);
    const text = readFileSync(SCRIPT, 'utf8');
    expect(text.startsWith('#!/usr/bin/env bash\n')).toBe(true);
    expect(text).toContain('set -euo pipefail');
    for (const s of ['charts/tapline', 'Dockerfile.agent', 'Dockerfile.operator', 'examples/afpacket.yaml', 'kind load docker-image', 'helm --kube-context']) {
      expect(text).toContain(s);
    }
    // The values it sets exist in the chart (values.schema.json refuses unknown keys).
    for (const m of text.matchAll(/--set '?([a-zA-Z.]+?)(?:\\\.[^=]*)?=/g)) {
      const keys = m[1]!.replace(/\\$/, '').split('.');
      let node = JSON.parse(readFileSync(path.join(REPO, 'charts', 'tapline', 'values.schema.json'), 'utf8'));
      for (const k of keys) {
        if (!node.properties || (node.additionalProperties !== false && !node.properties[k])) break;
        node = node.properties[k];
        expect(node, `${m[1]} is not a chart value`).toBeDefined();
      }
    }
  });
});
