// Kubernetes building blocks used by the SnifferPolicy schema: names, label selectors,
// tolerations, quantities, secret references. Patterns follow the API server's own validation
// (k8s.io/apimachinery/pkg/util/validation) so a value zod accepts is one Kubernetes accepts.
import { z } from 'zod';
import { boundedRecord, setOf, withRules } from './cel.js';

const DNS1123_LABEL = '[a-z0-9]([-a-z0-9]*[a-z0-9])?';
export const DNS1123_SUBDOMAIN_PATTERN = `^${DNS1123_LABEL}(\\.${DNS1123_LABEL})*$`;
/** Label (and annotation) key: optional DNS subdomain prefix, "/", name of at most 63 characters. */
export const LABEL_KEY_PATTERN = `^(${DNS1123_LABEL}(\\.${DNS1123_LABEL})*/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$`;
export const LABEL_VALUE_PATTERN = '^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$';
/** resource.Quantity without a sign: 500m, 2, 1.5, 512Mi, 1Gi, 1e3. */
export const QUANTITY_PATTERN =
  '^(([0-9]+(\\.[0-9]*)?)|(\\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|([eE](\\+|-)?(([0-9]+(\\.[0-9]*)?)|(\\.[0-9]+))))?$';

export const dnsSubdomain = (what: string) =>
  z
    .string()
    .min(1)
    .max(253)
    .regex(new RegExp(DNS1123_SUBDOMAIN_PATTERN), { message: `must be a valid ${what} (lower-case DNS subdomain)` });

export const labelKey = () =>
  z.string().min(1).max(316).regex(new RegExp(LABEL_KEY_PATTERN), { message: 'must be a valid label key ([prefix/]name)' });

export const labelValue = () =>
  z.string().max(63).regex(new RegExp(LABEL_VALUE_PATTERN), { message: 'must be a valid label value' });

export const quantity = (example: string) =>
  z
    .string()
    .min(1)
    .max(64)
    .regex(new RegExp(QUANTITY_PATTERN), { message: `must be a Kubernetes quantity such as ${example}` });

export const LabelSelectorRequirementSchema = withRules(
  z.strictObject({
    key: labelKey().describe('The label key the requirement applies to.'),
    operator: z
      .enum(['In', 'NotIn', 'Exists', 'DoesNotExist'])
      .describe('How the key relates to the values: In, NotIn, Exists or DoesNotExist.'),
    values: setOf(labelValue(), 64)
      .optional()
      .describe('Label values; non-empty for In and NotIn, absent for Exists and DoesNotExist.'),
  }),
  [
    {
      rule: "self.operator in ['In', 'NotIn'] ? has(self.values) : !has(self.values)",
      message: 'values must be set for operators In and NotIn and absent for Exists and DoesNotExist',
      fieldPath: '.values',
      holds: (r) => (r.operator === 'In' || r.operator === 'NotIn' ? r.values !== undefined : r.values === undefined),
    },
  ],
).describe('A label selector requirement: a key, an operator, and values.');

export const LabelSelectorSchema = z
  .strictObject({
    matchLabels: boundedRecord(labelKey(), labelValue(), 64)
      .optional()
      .describe('Node labels that must all match exactly (key: value).'),
    matchExpressions: z
      .array(LabelSelectorRequirementSchema)
      .max(32)
      .optional()
      .describe('Requirements on node labels; all must hold.'),
  })
  .describe(
    'Selects the nodes to capture on by their labels (a standard Kubernetes label selector). ' +
      'Omitted or empty selects every Linux node.',
  );

export const TolerationSchema = withRules(
  z.strictObject({
    key: labelKey().optional().describe('The taint key to tolerate; omitted with operator Exists tolerates every taint.'),
    operator: z
      .enum(['Exists', 'Equal'])
      .default('Equal')
      .describe('Equal: the taint value must equal value. Exists: any value.'),
    value: labelValue().optional().describe('The taint value to match with operator Equal.'),
    effect: z
      .enum(['NoSchedule', 'PreferNoSchedule', 'NoExecute'])
      .optional()
      .describe('The taint effect to tolerate; omitted tolerates every effect.'),
    tolerationSeconds: z
      .int()
      .min(0)
      .optional()
      .describe('With effect NoExecute: how long the agent stays on a node after the taint appears.'),
  }),
  [
    {
      rule: "self.operator != 'Exists' || !has(self.value)",
      message: 'value must be omitted when operator is Exists',
      fieldPath: '.value',
      reason: 'FieldValueForbidden',
      holds: (t) => t.operator !== 'Exists' || t.value === undefined,
    },
    {
      rule: "has(self.key) || self.operator == 'Exists'",
      message: 'a toleration without a key must use operator Exists',
      fieldPath: '.operator',
      holds: (t) => t.key !== undefined || t.operator === 'Exists',
    },
    {
      rule: "!has(self.tolerationSeconds) || (has(self.effect) && self.effect == 'NoExecute')",
      message: 'tolerationSeconds requires effect NoExecute',
      fieldPath: '.tolerationSeconds',
      holds: (t) => t.tolerationSeconds === undefined || t.effect === 'NoExecute',
    },
  ],
).describe('A Kubernetes toleration, so the agent can run on tainted nodes.');

export const SecretKeyRefSchema = z
  .strictObject({
    name: dnsSubdomain('Secret name').describe('Name of a Secret in the policy\'s namespace.'),
    key: z
      .string()
      .min(1)
      .max(253)
      .regex(/^[-._a-zA-Z0-9]+$/, { message: 'must be a valid Secret key' })
      .default('nats.creds')
      .describe('Key in the Secret holding the NATS credentials file (.creds).'),
  })
  .describe('A key of a Secret in the policy\'s namespace.');

export const SecretRefSchema = z
  .strictObject({
    name: dnsSubdomain('Secret name').describe('Name of a Secret in the policy\'s namespace.'),
  })
  .describe('A Secret in the policy\'s namespace.');
