// The chart's operator arguments are ones `tapline operator` accepts: parsed by the operator's own
// flag parser, with the values the chart means (so a renamed flag fails here, not in a cluster).
import { describe, expect, it } from 'vitest';
import { parseOperatorArgs } from '../../cli/operator/options.js';
import { DPDK_VALUES, NAMESPACE, find, parseManifests, renderChart } from './support/helm.js';

async function operatorArgs(args: string[] = []): Promise<string[]> {
  const c = find(parseManifests(await renderChart(args)), 'Deployment').spec.template.spec.containers[0];
  expect(c.args[0]).toBe('operator');
  return c.args.slice(1);
}

describe('the Deployment runs `tapline operator` with flags it accepts', () => {
  it('default values', async () => {
    const cmd = parseOperatorArgs(await operatorArgs(), {});
    expect(cmd).not.toBe('help');
    if (cmd === 'help') return;
    expect(cmd.logLevel).toBe('info');
    expect(cmd.options).toMatchObject({
      watchNamespaces: [NAMESPACE], metricsPort: 8080, leaderElect: true, leaseNamespace: NAMESPACE, workers: 2,
      agentImage: 'ghcr.io/tapline/agent:0.1.0',
    });
    expect(cmd.options).not.toHaveProperty('allowPrivileged');
  });

  it('DPDK/SR-IOV values', async () => {
    const cmd = parseOperatorArgs(await operatorArgs(['-f', DPDK_VALUES]), {});
    if (cmd === 'help') throw new Error('help');
    expect(cmd.options).toMatchObject({
      watchNamespaces: ['netops-capture', 'core-network'], allowPrivileged: true, agentImage: 'registry.example.com/tapline/agent:0.1.0',
    });
  });
});
