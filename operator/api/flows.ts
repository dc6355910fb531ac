// spec.flows: the flow table of each agent.
import { z } from 'zod';
import { FLOW_DEFAULTS } from '../../agent/config/capture-rules.js';
import { withRules } from './cel.js';

export const FlowsSchema = withRules(
  z.strictObject({
    idleTimeoutSeconds: z
      .int()
      .min(1)
      .max(86_400)
      .default(FLOW_DEFAULTS.idleTimeoutSeconds)
      .describe('A flow ends after this many seconds without packets (1-86400).'),
    activeTimeoutSeconds: z
      .int()
      .min(1)
      .max(604_800)
      .default(FLOW_DEFAULTS.activeTimeoutSeconds)
      .describe('A long-lived flow is exported every this many seconds and continues (1-604800); more than idleTimeoutSeconds.'),
    maxFlows: z
      .int()
      .min(1024)
      .max(2 ** 31)
      .default(FLOW_DEFAULTS.maxFlows)
      .describe('Flow-table capacity per agent over all workers, allocated at start (1024-2147483648).'),
  }),
  [
    {
      rule: 'self.activeTimeoutSeconds > self.idleTimeoutSeconds',
      message: 'activeTimeoutSeconds must be greater than idleTimeoutSeconds',
      fieldPath: '.activeTimeoutSeconds',
      holds: (f) => f.activeTimeoutSeconds > f.idleTimeoutSeconds,
    },
  ],
).describe('Flow aggregation: timeouts and flow-table capacity.');
