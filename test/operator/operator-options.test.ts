// `tapline operator` flags: defaults, each flag, and errors that name the flag.
import { describe, expect, it } from 'vitest';
import { parseOperatorArgs } from '../../cli/operator/options.js';
import { isUsageError } from '../../cli/usage-error.js';
import { OperatorOptionsSchema } from '../../operator/main.js';

describe('tapline operator flags', () => {
  it('defaults to in-cluster config, all namespaces, leader election, port 8080', () => {
    const cmd = parseOperatorArgs([], {});
    expect(cmd).not.toBe('help');
    if (cmd === 'help') return;
    const o = OperatorOptionsSchema.parse(cmd.options);
    expect(o).toMatchObject({ watchNamespaces: [], leaderElect: true, metricsPort: 8080, workers: 2, allowPrivileged: false });
    expect(o.kubeconfig).toBeUndefined();
    expect(cmd.logLevel).toBe('info');
  });

  it('reads every flag, and $KUBECONFIG when --kubeconfig is absent', () => {
    const cmd = parseOperatorArgs(
      ['--kubeconfig', '/k', '--watch-namespaces', 'a, b', '--metrics-port', '9000', '--no-leader-elect', '--lease-namespace', 'ops', '--identity', 'me', '--workers', '4', '--agent-image', 'img:1', '--allow-privileged', '--log-level', 'debug'],
      {},
    );
    expect(cmd).toEqual({
      logLevel: 'debug',
      options: { kubeconfig: '/k', watchNamespaces: ['a', 'b'], metricsPort: 9000, leaderElect: false, leaseNamespace: 'ops', identity: 'me', workers: 4, agentImage: 'img:1', allowPrivileged: true },
    });
    const env = parseOperatorArgs([], { KUBECONFIG: '/from/env:/second' });
    expect(env !== 'help' && env.options.kubeconfig).toBe('/from/env');
    expect(parseOperatorArgs(['--help'], {})).toBe('help');
  });

  it.each([
    [['--metrics-port', 'x'], '--metrics-port'],
    [['--metrics-port', '70000'], '--metrics-port'],
    [['--watch-namespaces', 'Bad_NS'], '--watch-namespaces'],
    [['--workers', '0'], '--workers'],
    [['--log-level', 'loud'], '--log-level'],
    [['--leader-elect', '--no-leader-elect'], '--leader-elect'],
    [['--bogus'], 'bogus'],
  ])('refuses %j naming %s', (args, flag) => {
    let err: unknown;
    try {
      parseOperatorArgs(args as string[], {});
    } catch (e) {
      err = e;
    }
    expect(isUsageError(err)).toBe(true);
    expect(String((err as Error).message)).toContain(flag);
  });
});
