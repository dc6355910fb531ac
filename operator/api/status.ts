// SnifferPolicy status, written by the operator only (status subresource). Conditions follow
// metav1.Condition; the operator rebuilds them from observation on every reconcile.
import { z } from 'zod';

/** Condition types the operator sets. */
export const ConditionType = {
  /** Every desired agent pod is ready and up to date. */
  Ready: 'Ready',
  /** A rollout of a new agent configuration is under way. */
  Progressing: 'Progressing',
  /** The policy cannot be (fully) realised: invalid spec, refused objects, crashing agents. */
  Degraded: 'Degraded',
  /** Another policy claims an interface or PCI device of this one on some node (see status.conflicts). */
  InterfaceConflict: 'InterfaceConflict',
  /** Flow records carry Kubernetes identities (spec.enrichment and the operator's identity map). */
  Enriched: 'Enriched',
} as const;
export type ConditionType = (typeof ConditionType)[keyof typeof ConditionType];

const CONDITION_TYPE_PATTERN = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])$/;
const REASON_PATTERN = /^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$/;

export const ConditionSchema = z
  .strictObject({
    type: z.string().max(316).regex(CONDITION_TYPE_PATTERN).describe('Condition type: Ready, Progressing, Degraded, InterfaceConflict or Enriched.'),
    status: z.enum(['True', 'False', 'Unknown']).describe('True, False or Unknown.'),
    observedGeneration: z
      .int()
      .min(0)
      .optional()
      .describe('The .metadata.generation the condition was set for.'),
    lastTransitionTime: z.iso.datetime({ offset: true }).describe('When the status last changed (RFC 3339).'),
    reason: z
      .string()
      .min(1)
      .max(1024)
      .regex(REASON_PATTERN, { message: 'must be a CamelCase reason' })
      .describe('Programmatic identifier of the cause, in CamelCase.'),
    message: z.string().max(32_768).describe('Human-readable details.'),
  })
  .describe('A condition of the policy (metav1.Condition).');

export const ConflictSchema = z
  .strictObject({
    nodeName: z.string().max(253).describe('The node where both policies claim the device.'),
    device: z.string().max(316).describe('The interface name, PCI address or host port (hostPort/N, the metrics port of agents in the host network) both claim.'),
    policy: z.string().max(317).describe('The other policy, as namespace/name.'),
  })
  .describe('Another policy claiming a device of this policy on a node.');

export const AgentFailureSchema = z
  .strictObject({
    nodeName: z.string().max(253).describe('The node whose agent cannot run (the node the DaemonSet controller meant the pod for, when it is not scheduled).'),
    pod: z.string().max(253).describe('The agent pod, in the policy\'s namespace.'),
    reason: z
      .string()
      .min(1)
      .max(128)
      .regex(REASON_PATTERN, { message: 'must be a CamelCase reason' })
      .describe(
        'Why: CrashLoopBackOff (the agent exits; message is its last termination message), ImagePullBackOff (also for ErrImagePull), ' +
          'ErrImageNeverPull, InvalidImageName, CreateContainerConfigError, CreateContainerError, RunContainerError, or Unschedulable (Pending with no node that fits).',
      ),
    message: z.string().max(1024).optional().describe("The agent's own last message (its termination message) or the kubelet's / scheduler's, cut to one line."),
    exitCode: z.int32().optional().describe('Exit code of the last run of the agent container, when it exited.'),
  })
  .describe('An agent pod that cannot start or keeps exiting (restart counts and times are left out so that status stays steady while the failure is the same).');

export const SnifferPolicyStatusSchema = z
  .strictObject({
    observedGeneration: z.int().min(0).optional().describe('The .metadata.generation the operator last acted on.'),
    conditions: z
      .array(ConditionSchema)
      .max(16)
      .refine((cs) => new Set(cs.map((c) => c.type)).size === cs.length, { message: 'condition types must be unique' })
      .optional()
      .meta({ 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['type'] })
      .describe('Ready, Progressing, Degraded and InterfaceConflict.'),
    desiredNodes: z.int32().min(0).optional().describe('Nodes that should run an agent.'),
    readyNodes: z.int32().min(0).optional().describe('Nodes whose agent is ready.'),
    updatedNodes: z.int32().min(0).optional().describe('Nodes whose agent runs the current configuration.'),
    daemonSetName: z.string().max(253).optional().describe('Name of the agent DaemonSet in this namespace.'),
    conflicts: z
      .array(ConflictSchema)
      .max(64)
      .optional()
      .describe('Devices another policy also claims on the same node (at most 64 listed).'),
    agentFailures: z
      .array(AgentFailureSchema)
      .max(64)
      .optional()
      .describe('Agent pods that cannot start or keep exiting, one per node, sorted by node (at most 64 listed; Degraded=True AgentFailing says how many).'),
  })
  .describe('SnifferPolicyStatus: observed state, written by the operator.');

export type SnifferPolicyStatus = z.output<typeof SnifferPolicyStatusSchema>;
export type Condition = z.output<typeof ConditionSchema>;
export type Conflict = z.output<typeof ConflictSchema>;
export type AgentFailure = z.output<typeof AgentFailureSchema>;
