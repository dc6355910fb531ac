// The SnifferPolicy CustomResourceDefinition, built from the zod schemas.
import { convert, type JSONSchemaProps } from './openapi.js';
import {
  CATEGORIES,
  CRD_NAME,
  GROUP,
  KIND,
  LIST_KIND,
  PLURAL,
  SHORT_NAMES,
  SINGULAR,
  VERSION,
} from './policy.js';
import { SnifferPolicySpecSchema } from './spec.js';
import { SnifferPolicyStatusSchema } from './status.js';

export const PRINTER_COLUMNS = [
  { name: 'Backend', type: 'string', jsonPath: '.spec.capture.backend', description: 'Capture backend.' },
  { name: 'Desired', type: 'integer', jsonPath: '.status.desiredNodes', description: 'Nodes that should run an agent.' },
  { name: 'Nodes Ready', type: 'integer', jsonPath: '.status.readyNodes', description: 'Nodes whose agent is ready.' },
  {
    name: 'Up-To-Date',
    type: 'integer',
    jsonPath: '.status.updatedNodes',
    description: 'Nodes whose agent runs the current configuration.',
    priority: 1,
  },
  { name: 'Ready', type: 'string', jsonPath: '.status.conditions[?(@.type=="Ready")].status', description: 'The Ready condition.' },
  {
    name: 'Reason',
    type: 'string',
    jsonPath: '.status.conditions[?(@.type=="Ready")].reason',
    description: 'Why the policy is (not) ready.',
    priority: 1,
  },
  { name: 'Paused', type: 'boolean', jsonPath: '.spec.paused', description: 'Changes are not applied.', priority: 1 },
  { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
];

export function openAPIV3Schema(): JSONSchemaProps {
  return {
    description:
      'SnifferPolicy runs Tapline capture agents on the selected nodes: they capture packets from the ' +
      'given NICs (AF_PACKET or DPDK), aggregate flow records, detect anomalies, and publish records and ' +
      'alerts to NATS JetStream.',
    type: 'object',
    properties: {
      apiVersion: {
        description: 'APIVersion defines the versioned schema of this representation of an object.',
        type: 'string',
      },
      kind: { description: 'Kind is a string value representing the REST resource this object represents.', type: 'string' },
      metadata: { type: 'object' },
      spec: convert(SnifferPolicySpecSchema, 'spec'),
      status: convert(SnifferPolicyStatusSchema, 'status'),
    },
    required: ['spec'],
  };
}

export function customResourceDefinition() {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: {
      name: CRD_NAME,
      labels: { 'app.kubernetes.io/name': 'tapline', 'app.kubernetes.io/part-of': 'tapline' },
    },
    spec: {
      group: GROUP,
      names: { kind: KIND, listKind: LIST_KIND, plural: PLURAL, singular: SINGULAR, shortNames: SHORT_NAMES, categories: CATEGORIES },
      scope: 'Namespaced',
      versions: [
        {
          name: VERSION,
          served: true,
          storage: true,
          subresources: { status: {} },
          additionalPrinterColumns: PRINTER_COLUMNS,
          schema: { openAPIV3Schema: openAPIV3Schema() },
        },
      ],
    },
  };
}
