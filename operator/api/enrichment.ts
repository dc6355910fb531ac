// spec.enrichment: whether the agents add each flow end's Kubernetes identity (namespace, pod,
// workload, node, service) from the operator's identity map.
import { z } from 'zod';

export const EnrichmentSchema = z
  .strictObject({
    enabled: z
      .boolean()
      .default(true)
      .describe(
        'Add src/dst identities to every flow record from the operator\'s identity map (a NATS key-value bucket on the ' +
          'same NATS as spec.export). When the map is unavailable the records go out without identities and the Enriched condition says why.',
      ),
  })
  .describe('Kubernetes identities on flow records.');
