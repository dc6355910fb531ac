// spec.export: where flow records and alerts go (NATS JetStream).
import { z } from 'zod';
import { SecretKeyRefSchema, SecretRefSchema } from './common.js';

const NATS_URL = /^(nats|tls|ws|wss):\/\/[^\s,]+(,(nats|tls|ws|wss):\/\/[^\s,]+)*$/;

export const StreamLimitsSchema = z
  .strictObject({
    maxAgeSeconds: z
      .int()
      .min(0)
      .default(86_400)
      .describe('Discard messages older than this many seconds; 0 keeps them until maxBytes is reached.'),
    maxBytes: z
      .int()
      .min(1)
      .optional()
      .describe('Discard the oldest messages beyond this many bytes of storage. Omitted: no limit.'),
    replicas: z.int().min(1).max(5).default(1).describe('Stream replicas in the NATS cluster (1-5).'),
  })
  .describe('Limits of the stream when Tapline creates it (createStream: true).');

export const ExportSchema = z
  .strictObject({
    natsUrl: z
      .string()
      .max(2048)
      .regex(NATS_URL, { message: 'must be one or more nats://, tls://, ws:// or wss:// URLs separated by commas' })
      .describe('NATS server URL(s), comma separated, such as nats://nats.nats.svc:4222.'),
    stream: z
      .string()
      .max(64)
      .regex(/^[A-Za-z0-9_-]+$/, { message: 'must be a JetStream stream name (letters, digits, "_" and "-")' })
      .default('TAPLINE')
      .describe('JetStream stream that stores the records and alerts.'),
    subjectPrefix: z
      .string()
      .max(128)
      .regex(/^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/, { message: 'must be dot-separated subject tokens without wildcards' })
      .default('tapline')
      .describe('Subjects are <subjectPrefix>.<namespace>.<policy>.flows.<node> and ...alerts.<node>, with dots in names replaced by _.'),
    credentialsSecretRef: SecretKeyRefSchema.optional().describe(
      'Secret key holding a NATS credentials file (.creds) to authenticate with. Omitted: no authentication.',
    ),
    tlsSecretRef: SecretRefSchema.optional().describe(
      'Secret with tls.crt and tls.key (client certificate) and ca.crt (server CA) for TLS to NATS.',
    ),
    createStream: z
      .boolean()
      .default(true)
      .describe('Create or update the stream with streamLimits. False: the stream must already exist.'),
    streamLimits: StreamLimitsSchema.prefault({}),
  })
  .describe('Export of flow records and alerts to NATS JetStream.');
