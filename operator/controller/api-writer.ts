// The reconciler's Writer (operator/reconcile/reconciler.ts) on the operator's API client:
// server-side apply with a fixed field manager, taking over fields another manager set (force),
// as controller-runtime's client.Apply with client.ForceOwnership. The API server refusing an
// object (400/422 validation or admission, 401/403 RBAC) is the reconciler's `refused` outcome,
// reported in the policy's status; anything else rejects and the controller retries with backoff.
import type { z } from 'zod';
import type { SnifferPolicyStatus } from '../api/status.js';
import type { ChildObject, Writer } from '../reconcile/reconciler.js';
import { ObservedObjectSchema } from '../reconcile/observed.js';
import { isForbiddenError, isInvalidObjectError, isNotFoundError } from './errors.js';
import type { KubeClient } from './kube-client.js';
import { objectPath, policyStatusPath } from './paths.js';

export const FIELD_MANAGER = 'tapline-operator';

export class ApiWriter implements Writer {
  constructor(private readonly client: KubeClient) {}

  async apply<T>(obj: ChildObject, schema: z.ZodType<T>): Promise<{ stored: T } | { refused: Error }> {
    try {
      return { stored: await this.client.apply(objectPath(obj), obj, schema, { fieldManager: FIELD_MANAGER, force: true }) };
    } catch (e) {
      if (isInvalidObjectError(e) || isForbiddenError(e)) return { refused: e };
      throw e;
    }
  }

  async applyStatus(
    policy: { apiVersion: string; kind: string; metadata: { name: string; namespace: string } },
    status: SnifferPolicyStatus,
  ): Promise<boolean> {
    const { name, namespace } = policy.metadata;
    try {
      await this.client.apply(
        policyStatusPath(namespace, name),
        { apiVersion: policy.apiVersion, kind: policy.kind, metadata: { name, namespace }, status },
        ObservedObjectSchema,
        { fieldManager: FIELD_MANAGER, force: true },
      );
      return true;
    } catch (e) {
      if (isNotFoundError(e)) return false;
      throw e;
    }
  }
}
