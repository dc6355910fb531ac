// The identity map's contract between the operator, which writes it, and the agents, which read
// it: one key per cluster address in a NATS JetStream key-value bucket, each holding the address's
// recent history as validity windows, plus one key with the cluster's address ranges.
//
//   ip.10.244.3.17           {"v":1,"ip":"10.244.3.17","entries":[
//                              {"since":1733300000000,"until":1733300420000,"uid":"…","id":{"kind":"pod",…}},
//                              {"since":1733300425000,"uid":"…","id":{"kind":"pod",…}}]}
//   ranges                   {"v":1,"pods":["10.244.0.0/24",…],"services":["10.96.0.0/16"]}
//
// An entry is valid from `since` (ms since the epoch) until `until` (absent: still valid). A flow
// that started at t takes the entry with the latest `since` <= t that is still valid at t, so a
// pod IP reused by a new pod names the new pod from the new pod's start and leaves earlier flows
// with the old one. Times are the API server's (one-second resolution).
import { z } from 'zod';

import { EndpointSchema } from './endpoint.js';

export const IDENTITY_VALUE_VERSION = 1;
export const DEFAULT_IDENTITY_BUCKET = 'tapline-identity';
export const RANGES_KEY = 'ranges';
const ADDRESS_KEY_PREFIX = 'ip.';

const ip = z.union([z.ipv4(), z.ipv6()]);
const ms = z.int().nonnegative();

export const IdentityEntrySchema = z.strictObject({
  since: ms,
  until: ms.optional(),
  /** The object the address belonged to (pod, Service or Node uid): a new uid is a new entry. */
  uid: z.string().min(1),
  id: EndpointSchema.refine((e) => e.kind === 'pod' || e.kind === 'node' || e.kind === 'service', { message: 'an entry names a pod, node or service' }),
});

export const IdentityValueSchema = z.strictObject({
  v: z.literal(IDENTITY_VALUE_VERSION),
  ip,
  /** Oldest first. */
  entries: z.array(IdentityEntrySchema).min(1).max(64),
});

export const ClusterRangesSchema = z.strictObject({
  v: z.literal(IDENTITY_VALUE_VERSION),
  pods: z.array(z.union([z.cidrv4(), z.cidrv6()])),
  services: z.array(z.union([z.cidrv4(), z.cidrv6()])),
});

export type IdentityEntry = z.output<typeof IdentityEntrySchema>;
export type IdentityValue = z.output<typeof IdentityValueSchema>;
export type ClusterRanges = z.output<typeof ClusterRangesSchema>;

/** `ip.<address>`: IPv6 colons become `_` (KV keys allow letters, digits, `-_/=.`). */
export function addressKey(address: string): string {
  return ADDRESS_KEY_PREFIX + address.replaceAll(':', '_');
}

export function isAddressKey(key: string): boolean {
  return key.startsWith(ADDRESS_KEY_PREFIX);
}

/** The address of an `ip.` key. */
export function keyAddress(key: string): string {
  return key.slice(ADDRESS_KEY_PREFIX.length).replaceAll('_', ':');
}
