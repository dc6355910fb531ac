// Debian packages the project needs, by purpose. Missing ones are installed
// with apt-get when running as root on Debian; otherwise one clear error
// names them.
import { existsSync } from 'node:fs';

import { probe, run, step } from './run.mjs';

/** What each purpose needs: a check (command or pkg-config module) per package. */
export const PACKAGES = {
  build: [
    { pkg: 'cmake', cmd: 'cmake' },
    { pkg: 'ninja-build', cmd: 'ninja' },
    { pkg: 'g++', cmd: 'g++' },
    { pkg: 'pkg-config', cmd: 'pkg-config' },
    { pkg: 'libdpdk-dev', pc: 'libdpdk' },
    { pkg: 'libpcap-dev', pc: 'libpcap' },
    { pkg: 'zlib1g-dev', pc: 'zlib' },
  ],
  test: [
    { pkg: 'libgtest-dev', file: '/usr/include/gtest/gtest.h' },
    { pkg: 'clang', cmd: 'clang++' },
    { pkg: 'libclang-rt-14-dev', file: '/usr/lib/llvm-14/lib/clang/14.0.6/lib/linux/libclang_rt.fuzzer-x86_64.a' },
    { pkg: 'tshark', cmd: 'tshark' },
    { pkg: 'iproute2', cmd: 'ip' },
    // test/capture: replays generated captures into a veth pair for the live-capture tests.
    { pkg: 'tcpreplay', cmd: 'tcpreplay' },
    // test/e2e/kind.sh is checked with shellcheck (it cannot run here: no container engine).
    { pkg: 'shellcheck', cmd: 'shellcheck' },
  ],
  // npm run demo: a network namespace and veth pair per node, traffic replayed into them.
  demo: [
    { pkg: 'iproute2', cmd: 'ip' },
    { pkg: 'tcpreplay', cmd: 'tcpreplay' },
  ],
  // scripts/images: container images built with buildah (a debootstrap base, a static pause
  // binary), run by test/helm/images.test.ts with podman.
  images: [
    { pkg: 'buildah', cmd: 'buildah' },
    { pkg: 'debootstrap', cmd: 'debootstrap' },
    { pkg: 'runc', cmd: 'runc' },
    { pkg: 'podman', cmd: 'podman' },
    { pkg: 'gcc', cmd: 'gcc' },
    { pkg: 'libc6-dev', file: '/usr/include/stdio.h' },
  ],
  // scripts/cluster/real-node.mjs: real nodes (the kubelet and containerd are built from Go
  // modules; runc and the CNI plugins come from Debian), their network namespaces and rules.
  nodes: [
    { pkg: 'runc', cmd: 'runc' },
    { pkg: 'containernetworking-plugins', file: '/usr/lib/cni/bridge' },
    { pkg: 'iptables', cmd: 'iptables' },
    { pkg: 'iproute2', cmd: 'ip' },
    { pkg: 'openssl', cmd: 'openssl' },
    { pkg: 'util-linux', cmd: 'nsenter' },
  ],
  bench: [
    { pkg: 'tshark', cmd: 'tshark' },
    { pkg: 'argus-server', cmd: 'argus' },
    { pkg: 'argus-client', cmd: 'ra' },
    { pkg: 'softflowd', cmd: 'softflowd' },
    // test/bench/capture-bench.ts: traffic for the AF_PACKET and DPDK-over-veth rates.
    { pkg: 'tcpreplay', cmd: 'tcpreplay' },
    { pkg: 'iproute2', cmd: 'ip' },
  ],
};

function present(p) {
  if (p.cmd) return probe('sh', ['-c', `command -v ${p.cmd}`]) !== null;
  if (p.pc) return probe('pkg-config', ['--exists', p.pc]) !== null;
  return existsSync(p.file);
}

/** Ensures every package of the given purposes is installed; throws with the list otherwise. */
export function ensureSystemPackages(...purposes) {
  const missing = [...new Set(purposes.flatMap((k) => PACKAGES[k]).filter((p) => !present(p)).map((p) => p.pkg))];
  if (missing.length === 0) return;
  const canApt = process.getuid?.() === 0 && probe('sh', ['-c', 'command -v apt-get']) !== null;
  if (!canApt) {
    throw new Error(
      `missing system packages: ${missing.join(' ')}\n` +
        `install them with: sudo apt-get install -y ${missing.join(' ')}`,
    );
  }
  step(`installing Debian packages: ${missing.join(' ')}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  run('apt-get', ['update', '-qq'], { env });
  run('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...missing], { env });
}
