import { defineConfig } from 'vitest/config';

// Two projects, one run (`npm test` counts both):
//   unit    — everything that needs no cluster;
//   cluster — tests on a real control plane (etcd, kube-apiserver, kube-controller-manager,
//             kube-scheduler, kwok) that test/cluster/global-setup.ts starts once (or reuses),
//             one file at a time because they share it; test/nodes starts a control plane of its
//             own with real nodes (kubelet + containerd), one file at a time too (one node network
//             per machine).
const CLUSTER_TESTS = ['test/cluster/**/*.test.ts', 'test/operator/*-apiserver.test.ts', 'test/helm/*-apiserver.test.ts', 'test/demo/*.test.ts', 'test/nodes/*.test.ts'];

export default defineConfig({
  test: {
    pool: 'forks',
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['agent/**/*.test.ts', 'cli/**/*.test.ts', 'test/**/*.test.ts'],
          exclude: ['node_modules', 'dist', 'build', 'test/.cluster/**', 'test/.out/**', ...CLUSTER_TESTS],
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
      {
        extends: true,
        test: {
          name: 'cluster',
          include: CLUSTER_TESTS,
          exclude: ['node_modules', 'dist', 'build', 'test/.cluster/**', 'test/.out/**'],
          globalSetup: ['test/cluster/global-setup.ts'],
          fileParallelism: false,
          // A cold build of the control-plane binaries happens in the global setup (its own limit);
          // these cover rollouts, leader failover and an API server restart on 2 shared cores.
          testTimeout: 240_000,
          hookTimeout: 240_000,
        },
      },
    ],
  },
});
