// Dockerfile.agent and Dockerfile.operator, checked without a container engine: every file they
// copy exists (from the build context: in the repository and not excluded by .dockerignore; from
// the build stage: after `npm run build`), the base image is pinned and labelled, the operator is
// non-root, and the entrypoint runs in a copy of the runtime stage's file layout on this machine
// (so a file the image forgets, such as the native addon or a dist/ directory, fails here).
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO } from './support/helm.js';

interface Copy { from?: string; srcs: string[]; dest: string }
interface Stage { name?: string; base: string; workdir: string; copies: Copy[]; lines: string[] }

/** The stages of a Dockerfile: base, WORKDIR, COPY instructions (line continuations joined). */
function parseDockerfile(file: string): { args: Record<string, string>; stages: Stage[] } {
  const text = readFileSync(path.join(REPO, file), 'utf8').replace(/\\\n/g, ' ');
  const args: Record<string, string> = {};
  const stages: Stage[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const [instr, ...rest] = line.split(/\s+/);
    const cur = stages.at(-1);
    switch (instr!.toUpperCase()) {
      case 'ARG': {
        const [k, v] = rest.join(' ').split('=');
        if (!cur && v !== undefined) args[k!] = v;
        break;
      }
      case 'FROM': {
        const base = rest[0]!.replace(/^\$\{(\w+)\}$/, (_m, k: string) => args[k] ?? '');
        stages.push({ base, name: rest[2], workdir: '/', copies: [], lines: [] });
        break;
      }
      case 'WORKDIR':
        cur!.workdir = rest[0]!;
        break;
      case 'COPY': {
        const flags = rest.filter((r) => r.startsWith('--'));
        const paths = rest.filter((r) => !r.startsWith('--'));
        const from = flags.find((f) => f.startsWith('--from='))?.slice('--from='.length);
        cur!.copies.push({ ...(from ? { from } : {}), srcs: paths.slice(0, -1), dest: paths.at(-1)! });
        break;
      }
      default:
        break;
    }
    cur?.lines.push(line);
  }
  return { args, stages };
}

/** Whether .dockerignore excludes a context path (its patterns here are plain paths and prefixes). */
function dockerignored(p: string): boolean {
  const patterns = readFileSync(path.join(REPO, '.dockerignore'), 'utf8').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
  const clean = p.replace(/^\.\//, '');
  return patterns.some((pat) => {
    const re = new RegExp(`^${pat.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*')}(/|$)`);
    return re.test(clean);
  });
}

const resolveIn = (workdir: string, p: string) => (p.startsWith('/') ? p : path.posix.join(workdir, p));

/** Builds the runtime stage's layout under a temporary root from the repository (after the build). */
function runtimeLayout(file: string): { root: string; entrypoint: string[]; stage: Stage } {
  const { stages } = parseDockerfile(file);
  const stage = stages.at(-1)!;
  const build = stages.find((s) => s.name === 'build')!;
  const root = mkdtempSync(path.join(tmpdir(), 'tapline-image-'));
  for (const c of stage.copies) {
    for (const src of c.srcs) {
      // The build stage's WORKDIR holds the repository's files plus what the build made.
      const repoPath = c.from === 'build' ? path.posix.relative(build.workdir, src) : src;
      const from = path.join(REPO, repoPath);
      const destAbs = resolveIn(stage.workdir, c.dest.endsWith('/') || c.dest === './' ? path.posix.join(c.dest, path.posix.basename(src)) : c.dest);
      const to = path.join(root, destAbs);
      mkdirSync(path.dirname(to), { recursive: true });
      // node_modules is large: a link to it gives the same module resolution.
      if (repoPath === 'node_modules') symlinkSync(from, to);
      else cpSync(from, to, { recursive: true });
    }
  }
  const ep = /^ENTRYPOINT\s+(\[.*\])$/.exec(stage.lines.find((l) => l.startsWith('ENTRYPOINT'))!)!;
  const entrypoint = (JSON.parse(ep[1]!) as string[]).map((a) => (a.startsWith('/') ? path.join(root, a) : a));
  return { root, entrypoint, stage };
}

function runEntrypoint(entrypoint: string[], args: string[]) {
  const [cmd, ...rest] = entrypoint;
  return spawnSync(cmd === 'node' ? process.execPath : cmd!, [...rest, ...args], { encoding: 'utf8', cwd: tmpdir(), timeout: 60_000 });
}

const operatorBuilt = existsSync(path.join(REPO, 'dist', 'operator', 'main.js'));

describe.each(['Dockerfile.agent', 'Dockerfile.operator'])('%s', (file) => {
  const { stages } = parseDockerfile(file);

  it('is multi-stage on a pinned Debian-based Node.js image, labelled', () => {
    expect(stages.length).toBe(2);
    for (const s of stages) expect(s.base).toMatch(/^node:\d+\.\d+\.\d+-(bookworm|trixie)-slim(@sha256:[a-f0-9]{64})?$/);
    const labels = stages[1]!.lines.filter((l) => l.startsWith('LABEL')).join(' ');
    for (const l of ['title', 'description', 'version', 'source', 'licenses']) expect(labels).toContain(`org.opencontainers.image.${l}=`);
  });

  it('every file it copies from the build context exists and is not excluded by .dockerignore', () => {
    const fromContext = stages.flatMap((s) => s.copies.filter((c) => !c.from)).flatMap((c) => c.srcs);
    expect(fromContext.length).toBeGreaterThan(2);
    for (const src of fromContext) {
      expect(existsSync(path.join(REPO, src)), src).toBe(true);
      expect(dockerignored(src), `${src} is in .dockerignore`).toBe(false);
    }
    // What the build stage makes is never taken from the context.
    for (const made of ['node_modules', 'dist', 'build']) expect(dockerignored(made)).toBe(true);
  });

  it('every file the runtime stage takes from the build stage exists after the build', () => {
    const build = stages.find((s) => s.name === 'build')!;
    for (const c of stages[1]!.copies.filter((x) => x.from === 'build')) {
      for (const src of c.srcs) expect(existsSync(path.join(REPO, path.posix.relative(build.workdir, src))), src).toBe(true);
    }
  });
});

describe('the entrypoints run in the images\' file layout', () => {
  it('agent: `tapline --help`, and the native addon loads (analyze of a capture file)', () => {
    const { entrypoint, root } = runtimeLayout('Dockerfile.agent');
    const help = runEntrypoint(entrypoint, ['--help']);
    expect(help.stderr).toBe('');
    expect(help.status).toBe(0);
    expect(help.stdout).toContain('analyze');
    const pcap = path.join(root, 'one.pcap');
    cpSync(path.join(REPO, '..', 'shared', 'pcaps', 'tcpdump-tests', 'dhcp-option-33.pcap'), pcap);
    const r = runEntrypoint(entrypoint, ['analyze', pcap, '--format', 'jsonl']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.trim().split('\n').length).toBeGreaterThan(0);
    expect(JSON.parse(r.stdout.trim().split('\n')[0]!)).toHaveProperty('communityId');
    expect(existsSync(path.join(root, 'opt', 'tapline', 'build', 'Release', 'tapline_native.node'))).toBe(true);
  });

  it.skipIf(!operatorBuilt)('operator: `tapline operator --help` without the native addon; the image declares USER 65532', () => {
    const { entrypoint, stage } = runtimeLayout('Dockerfile.operator');
    expect(stage.lines).toContain('USER 65532:65532');
    expect(entrypoint.slice(-1)).toEqual(['operator']);
    const r = runEntrypoint(entrypoint, ['--help']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('--watch-namespaces');
  });
});

