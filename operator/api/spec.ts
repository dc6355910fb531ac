// SnifferPolicy spec: the one source of truth for what a user may write (the CRD is generated
// from it by generate-crd.ts).
import { z } from 'zod';
import { CaptureSchema } from './capture.js';
import { LabelSelectorSchema, TolerationSchema } from './common.js';
import { DetectorsSchema } from './detectors.js';
import { EnrichmentSchema } from './enrichment.js';
import { ExportSchema } from './export.js';
import { FlowsSchema } from './flows.js';

export const DEFAULT_METRICS_PORT = 9464;

export const SnifferPolicySpecSchema = z
  .strictObject({
    nodeSelector: LabelSelectorSchema.optional(),
    tolerations: z
      .array(TolerationSchema)
      .max(32)
      .optional()
      .describe('Tolerations for the agent pods, to capture on tainted nodes.'),
    capture: CaptureSchema,
    flows: FlowsSchema.prefault({}),
    detectors: DetectorsSchema.prefault({}),
    export: ExportSchema,
    enrichment: EnrichmentSchema.prefault({}),
    metricsPort: z
      .int()
      .min(1024)
      .max(65535)
      .default(DEFAULT_METRICS_PORT)
      .describe(
        'Port of the agent\'s /metrics, /healthz and /readyz. With afpacket the agent uses the host network, ' +
          'so two policies on one node need different ports.',
      ),
    paused: z
      .boolean()
      .default(false)
      .describe(
        'Stop applying changes to the agents: they keep running with the configuration last applied until paused is false.',
      ),
  })
  .describe('SnifferPolicySpec: which nodes and NICs to capture on, flow and detector settings, and where to export.');

export type SnifferPolicySpec = z.output<typeof SnifferPolicySpecSchema>;
export type SnifferPolicySpecInput = z.input<typeof SnifferPolicySpecSchema>;
