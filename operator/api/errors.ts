// Errors of the API layer. One class per failure mode, with an isX() predicate.
import type { z } from 'zod';

export interface PolicyIssue {
  /** Dotted path from the object root: spec.capture.snaplen, spec.tolerations[0].operator. */
  path: string;
  message: string;
}

/** A SnifferPolicy (or part of one) that the schema refuses. Terminal until the spec changes. */
export class InvalidPolicyError extends Error {
  override readonly name = 'InvalidPolicyError';
  readonly issues: PolicyIssue[];

  constructor(what: string, issues: PolicyIssue[], options?: { cause?: unknown }) {
    super(`${what} is invalid: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`, options);
    this.issues = issues;
  }
}

export function isInvalidPolicyError(e: unknown): e is InvalidPolicyError {
  return e instanceof InvalidPolicyError;
}

/** zod issues as `path: message`, the path in the form the API server prints (a.b[0].c). */
export function toPolicyIssues(error: z.ZodError, prefix: string[] = []): PolicyIssue[] {
  return error.issues.map((issue) => ({ path: formatPath([...prefix, ...issue.path]) || '(root)', message: issue.message }));
}

export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) {
    if (typeof p === 'number') out += `[${p}]`;
    else out += out === '' ? String(p) : `.${String(p)}`;
  }
  return out;
}
