// Operator settings that shape the rendered objects (from the operator's flags/env/Helm values).
import { z } from 'zod';
import { DEFAULT_IDENTITY_BUCKET } from '../../agent/index.js';

export const OperatorSettingsSchema = z.strictObject({
  /** The agent image, e.g. ghcr.io/tapline/agent:0.1.0 (a digest pins it). */
  agentImage: z.string().min(1),
  imagePullPolicy: z.enum(['Always', 'IfNotPresent', 'Never']).default('IfNotPresent'),
  imagePullSecrets: z.array(z.string().min(1)).default([]),
  /** Namespaces whose policies the operator acts on; empty: every namespace. Used by the controller. */
  watchNamespaces: z.array(z.string().min(1)).default([]),
  /** Whether a policy may ask for a privileged agent (capture.privileged). Off by default. */
  allowPrivileged: z.boolean().default(false),
  /** PriorityClass of the agent pods, e.g. system-node-critical. */
  priorityClassName: z.string().min(1).optional(),
  /** The identity map's key-value bucket the agents read (on the policy's NATS); the operator writes it when given --identity-map-nats. */
  identityBucket: z.string().regex(/^[A-Za-z0-9_-]+$/).default(DEFAULT_IDENTITY_BUCKET),
  /** app.kubernetes.io/managed-by of everything the operator creates. */
  managedBy: z.string().min(1).default('tapline-operator'),
});

export type OperatorSettings = z.output<typeof OperatorSettingsSchema>;
export type OperatorSettingsInput = z.input<typeof OperatorSettingsSchema>;
