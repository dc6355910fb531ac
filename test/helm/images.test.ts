// The images themselves: Dockerfile.agent and Dockerfile.operator built with buildah on the local
// Debian base (scripts/images/, cached by content key: minutes the first time, seconds after),
// then run with podman the way a kubelet runs them — the image's own entrypoint and user, no
// network, the operator on a read-only root filesystem. Plus the archives containerd imports.
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { ensureImages, type Images } from '../../scripts/images/ensure-images.mjs';
import { imageConfig, runContainer } from '../../scripts/images/run-container.mjs';
import { agentConfig, writeConfig } from '../agent/support/agent-config.js';
import { REPO } from './support/helm.js';

const PCAP = path.join(REPO, '..', 'shared', 'pcaps', 'tcpdump-tests', 'dhcp-option-33.pcap');
// A cold build is debootstrap, npm ci and the native addon on two cores: many minutes.
const BUILD_TIMEOUT_MS = 90 * 60_000;
const RUN_TIMEOUT_MS = 240_000;

let images: Images;
let dir: string;

beforeAll(async () => {
  images = await ensureImages({ log: (m) => process.stderr.write(`[images] ${m}\n`) });
  for (const [name, i] of Object.entries(images)) process.stderr.write(`[images] ${name}: ${i.ref} ${i.built ? 'built' : 'cached'} in ${i.seconds.toFixed(1)}s\n`);
  dir = mkdtempSync(path.join(tmpdir(), 'tapline-images-'));
  chmodSync(dir, 0o755); // readable by the operator's uid too
  copyFileSync(PCAP, path.join(dir, 'one.pcap'));
}, BUILD_TIMEOUT_MS);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** npm packages one side needs and the other does not (the addon's build tools: neither image). */
const SIDE_PACKAGES = ['cmake-js', 'node-addon-api', 'node-api-headers', '@nats-io/jetstream', '@kubernetes/client-node'];

/**
 * What of Tapline an image holds: the files under /opt/tapline/dist, whether the native addon is
 * there, and which of SIDE_PACKAGES are in node_modules; read by node in the image.
 */
function contents(ref: string): { dist: string[]; addon: boolean; packages: string[] } {
  const script = `
    const fs = require('node:fs');
    const path = require('node:path');
    const dist = fs.readdirSync('/opt/tapline/dist', { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile()).map((e) => path.relative('/opt/tapline/dist', path.join(e.parentPath ?? e.path, e.name))).sort();
    console.log(JSON.stringify({
      dist,
      addon: fs.existsSync('/opt/tapline/build/Release/tapline_native.node'),
      packages: ${JSON.stringify(SIDE_PACKAGES)}.filter((p) => fs.existsSync('/opt/tapline/node_modules/' + p + '/package.json')),
    }));`;
  const r = runContainer(ref, ['-e', script], { entrypoint: 'node', timeoutMs: RUN_TIMEOUT_MS });
  expect(r.status, r.stderr).toBe(0);
  return JSON.parse(r.stdout.trim()) as { dist: string[]; addon: boolean; packages: string[] };
}

/** The mounted directory's file as the container sees it. */
const inContainer = (name: string) => `/config/${name}`;
const mount = () => `${dir}:/config:ro`;

describe('agent image', () => {
  it('runs as root with the tapline entrypoint (capabilities reach only root in a pod)', () => {
    const config = imageConfig(images.agent.ref);
    expect(config.Entrypoint).toEqual(['node', '/opt/tapline/bin/tapline.js']);
    expect(config.User ?? '').toBe('');
    expect(config.Labels?.['org.opencontainers.image.title']).toBe('tapline-agent');
  });

  it('`tapline agent --check` accepts a real agent config (file backend, a mounted capture file)', () => {
    writeConfig(path.join(dir, 'good.json'), agentConfig('nats://nats.tapline.svc:4222', inContainer('one.pcap'), 9464));
    const r = runContainer(images.agent.ref, ['agent', '--config', inContainer('good.json'), '--check'], {
      env: { NODE_NAME: 'node-a' }, volumes: [mount()], timeoutMs: RUN_TIMEOUT_MS,
    });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(`${inContainer('good.json')}: config OK (policy test-ns/test-policy, node node-a)\n`);
  }, RUN_TIMEOUT_MS);

  it('`tapline agent --check` refuses a bad config, naming the field', () => {
    const bad = agentConfig('nats://nats.tapline.svc:4222', inContainer('one.pcap'), 9464);
    bad.metrics.port = 70000;
    writeConfig(path.join(dir, 'bad.json'), bad);
    const r = runContainer(images.agent.ref, ['agent', '--config', inContainer('bad.json'), '--check'], {
      env: { NODE_NAME: 'node-a' }, volumes: [mount()], timeoutMs: RUN_TIMEOUT_MS,
    });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^tapline agent: .*metrics\.port: Too big/);
    expect(r.stdout).toBe('');
  }, RUN_TIMEOUT_MS);

  it('`tapline agent` loads the agent\'s runtime: it starts, serves metrics, and exits 1 on a NATS it cannot reach', () => {
    writeConfig(path.join(dir, 'run.json'), agentConfig('nats://nats.tapline.svc:4222', inContainer('one.pcap'), 9464));
    const r = runContainer(images.agent.ref, ['agent', '--config', inContainer('run.json')], {
      env: { NODE_NAME: 'node-a' }, volumes: [mount()], timeoutMs: RUN_TIMEOUT_MS,
    });
    expect(r.status, r.stderr).toBe(1);
    expect(r.stdout).toContain('"msg":"metrics listening"');
    expect(r.stderr).toMatch(/^tapline agent: cannot connect to NATS \(nats:\/\/nats\.tapline\.svc:4222\)/m);
  }, RUN_TIMEOUT_MS);

  it('loads its native addon: `tapline analyze` of a capture file gives flow records', () => {
    const r = runContainer(images.agent.ref, ['analyze', inContainer('one.pcap'), '--format', 'jsonl'], { volumes: [mount()], timeoutMs: RUN_TIMEOUT_MS });
    expect(r.status, r.stderr).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines.length).toBeGreaterThan(0);
    expect(JSON.parse(lines[0]!)).toHaveProperty('communityId');
  }, RUN_TIMEOUT_MS);

  it('captures through DPDK: the EAL, the ring mempool and a poll-mode driver (net_pcap) load', () => {
    const r = runContainer(images.agent.ref, [
      'capture', '--backend', 'dpdk', '--vdev', `net_pcap0,rx_pcap=${inContainer('one.pcap')}`, '--no-huge', '--duration', '2', '--format', 'jsonl',
    ], { volumes: [mount()], timeoutMs: RUN_TIMEOUT_MS });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/capture {5}received 5, dropped 0/);
    expect(JSON.parse(r.stdout.trim().split('\n')[0]!)).toMatchObject({ packets: 5, endReason: 'shutdown' });
  }, RUN_TIMEOUT_MS);

  it('carries the agent\'s side only: no operator but the policy\'s detector defaults, no native build tools', () => {
    const c = contents(images.agent.ref);
    expect(c.addon).toBe(true);
    expect(c.packages).toEqual(['@nats-io/jetstream']); // not the build tools, not the operator's Kubernetes client
    // cli/output/detect-options.ts takes `--detect`'s defaults from the policy schema.
    expect(c.dist.filter((f) => f.startsWith('operator/'))).toEqual(['operator/api/cel.js', 'operator/api/detectors.js']);
    expect(c.dist).toContain('cli/main.js');
    for (const command of ['agent', 'analyze', 'capture']) expect(c.dist).toContain(`cli/${command}/command.js`);
    expect(c.dist.filter((f) => f.startsWith('cli/operator/'))).toEqual([]);
    expect(c.dist).toContain('agent/run/agent.js');
    expect(c.dist.filter((f) => f.endsWith('.map') || f.includes('.test.'))).toEqual([]);
  }, RUN_TIMEOUT_MS);

  it('`tapline operator` says the operator is not in this image; `tapline --help` still lists every command', () => {
    const op = runContainer(images.agent.ref, ['operator', '--help'], { timeoutMs: RUN_TIMEOUT_MS });
    expect(op.status).toBe(1);
    expect(op.stderr).toBe("tapline: the operator command is not in this installation (it comes with Tapline's operator side: the tapline operator image runs it)\n");
    const help = runContainer(images.agent.ref, ['--help'], { timeoutMs: RUN_TIMEOUT_MS });
    expect(help.status, help.stderr).toBe(0);
    expect(help.stdout).toMatch(/^usage: tapline <command>[^]*\n {2}operator /);
  }, RUN_TIMEOUT_MS);
});

describe('operator image', () => {
  it('declares the non-root user 65532; the entrypoint is tapline, the command comes from the pod\'s args', () => {
    const config = imageConfig(images.operator.ref);
    expect(config.User).toBe('65532:65532');
    // The chart's Deployment passes `args: [operator, ...]`.
    expect(config.Entrypoint).toEqual(['node', '/opt/tapline/bin/tapline.js']);
    expect(config.Cmd).toEqual(['operator', '--help']);
    expect(config.Labels?.['org.opencontainers.image.title']).toBe('tapline-operator');
  });

  it('its default command (`tapline operator --help`) runs on a read-only root filesystem', () => {
    const r = runContainer(images.operator.ref, [], { readOnly: true, timeoutMs: RUN_TIMEOUT_MS });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('--watch-namespaces');
  }, RUN_TIMEOUT_MS);

  it('the operator process runs as 65532, cannot write to /, and stops cleanly without a kubeconfig', () => {
    // node from the image, as the image's user: report who it is and what it may write, then run
    // the image's entrypoint command as a child (same user, same filesystem) outside a cluster.
    const script = `
      const fs = require('node:fs');
      const { spawnSync } = require('node:child_process');
      const tryWrite = (p) => { try { fs.writeFileSync(p, 'x'); return 'written'; } catch (e) { return e.code; } };
      const op = spawnSync(process.execPath, ['/opt/tapline/bin/tapline.js', 'operator'], { encoding: 'utf8', env: {} });
      console.log(JSON.stringify({
        uid: process.getuid(), gid: process.getgid(),
        root: tryWrite('/tapline-probe'), app: tryWrite('/opt/tapline/probe'),
        operator: { status: op.status, stderr: op.stderr },
      }));`;
    const r = runContainer(images.operator.ref, ['-e', script], { entrypoint: 'node', readOnly: true, timeoutMs: RUN_TIMEOUT_MS });
    expect(r.status, r.stderr).toBe(0);
    const seen = JSON.parse(r.stdout.trim()) as { uid: number; gid: number; root: string; app: string; operator: { status: number; stderr: string } };
    expect(seen).toMatchObject({ uid: 65532, gid: 65532, root: 'EROFS', app: 'EROFS' });
    expect(seen.operator.status).toBe(1);
    expect(seen.operator.stderr).toBe('tapline operator: not running in a cluster (KUBERNETES_SERVICE_HOST/PORT unset) and no --kubeconfig given\n');
  }, RUN_TIMEOUT_MS);

  it('carries the operator\'s side only: of the agent its public module and what that loads, not its runtime; no addon', () => {
    const c = contents(images.operator.ref);
    expect(c.addon).toBe(false);
    // Not the build tools; the Kubernetes client, and JetStream under the key-value client the operator writes the identity map with.
    expect(c.packages.sort()).toEqual(['@kubernetes/client-node', '@nats-io/jetstream']);
    expect(c.dist.filter((f) => f.startsWith('cli/'))).toEqual(['cli/main.js', 'cli/operator/command.js', 'cli/operator/options.js', 'cli/usage-error.js']);
    expect(c.dist).toContain('operator/main.js');
    expect(c.dist).toContain('agent/index.js');
    expect(c.dist).toContain('agent/config/schema.js');
    // The agent's runtime, which agent/index.js loads only when an agent runs.
    for (const f of ['agent/run/agent.js', 'agent/export/exporter.js', 'agent/export/spool.js', 'agent/alerts/alert-poller.js', 'agent/metrics/agent-metrics.js']) {
      expect(c.dist, f).not.toContain(f);
    }
    expect(c.dist.filter((f) => f.endsWith('.map') || f.includes('.test.'))).toEqual([]);
  }, RUN_TIMEOUT_MS);

  it('`tapline analyze` says the agent\'s side is not in this image', () => {
    const r = runContainer(images.operator.ref, ['analyze', '/nowhere.pcap'], { readOnly: true, timeoutMs: RUN_TIMEOUT_MS });
    expect(r.status).toBe(1);
    expect(r.stderr).toBe("tapline: the analyze command is not in this installation (it comes with Tapline's agent side: the tapline agent image runs it)\n");
  }, RUN_TIMEOUT_MS);
});

describe('pause image', () => {
  it('is /pause alone, as 65535, and reports its version', () => {
    const config = imageConfig(images.pause.ref);
    expect(config.Entrypoint).toEqual(['/pause']);
    expect(config.User).toBe('65535:65535');
    const r = runContainer(images.pause.ref, ['-v'], { readOnly: true, timeoutMs: RUN_TIMEOUT_MS });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^pause\.c v3\.10\.\d+-kubernetes-v1\.\d+\.\d+\n$/);
  }, RUN_TIMEOUT_MS);
});

describe('OCI archives for `ctr images import`', () => {
  it.each(['node', 'pause', 'agent', 'operator'] as const)('%s: one manifest named with its reference', (name) => {
    const image = images[name];
    expect(path.basename(image.archive)).toBe(`${image.key}.oci.tar`);
    const index = spawnSync('tar', ['-xOf', image.archive, 'index.json'], { encoding: 'utf8' });
    expect(index.status, index.stderr).toBe(0);
    const manifests = (JSON.parse(index.stdout) as { manifests: { annotations?: Record<string, string> }[] }).manifests;
    expect(manifests).toHaveLength(1);
    expect(manifests[0]!.annotations?.['org.opencontainers.image.ref.name']).toBe(image.ref);
  });
});
