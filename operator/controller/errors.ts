// Errors of the operator runtime: one class per failure mode, each with an isX() predicate.
// Errors from the API server carry the HTTP status, the Status reason and the request.
// @kubernetes/client-node reports failures its own way (an ApiException with the status code and
// body, node-fetch's FetchError/AbortError, a plain Error with a statusCode from its Watch);
// kubeError() below maps each to one of these classes, keeping the original as `cause`.
import { ApiException } from '@kubernetes/client-node';
import { z } from 'zod';

/** The kubeconfig (or in-cluster ServiceAccount files) cannot be used. */
export class KubeconfigError extends Error {
  override readonly name = 'KubeconfigError';
}
export const isKubeconfigError = (e: unknown): e is KubeconfigError => e instanceof KubeconfigError;

/** No answer from the API server: connection refused/reset, TLS failure, timeout. Retryable. */
export class ApiTransportError extends Error {
  override readonly name: string = 'ApiTransportError';
  constructor(
    message: string,
    readonly verb: string,
    readonly path: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
export const isApiTransportError = (e: unknown): e is ApiTransportError => e instanceof ApiTransportError;

/** A non-2xx answer from the API server. Subclasses name the statuses the operator acts on. */
export class ApiStatusError extends Error {
  override readonly name: string = 'ApiStatusError';
  constructor(
    message: string,
    readonly status: number,
    /** metav1.Status reason, e.g. Invalid, Forbidden, AlreadyExists. */
    readonly reason: string | undefined,
    readonly verb: string,
    readonly path: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
export const isApiStatusError = (e: unknown): e is ApiStatusError => e instanceof ApiStatusError;

/** 404: the object (or its namespace) does not exist. */
export class NotFoundError extends ApiStatusError {
  override readonly name = 'NotFoundError';
}
export const isNotFoundError = (e: unknown): e is NotFoundError => e instanceof NotFoundError;

/** 409: a resourceVersion precondition failed or the object already exists. Retry after re-reading. */
export class ConflictError extends ApiStatusError {
  override readonly name = 'ConflictError';
}
export const isConflictError = (e: unknown): e is ConflictError => e instanceof ConflictError;

/** 410: the resourceVersion a list/watch started from is too old: relist. */
export class ResourceExpiredError extends ApiStatusError {
  override readonly name = 'ResourceExpiredError';
}
export const isResourceExpiredError = (e: unknown): e is ResourceExpiredError => e instanceof ResourceExpiredError;

/** 401/403: the operator's credentials or RBAC do not allow the request. */
export class ForbiddenError extends ApiStatusError {
  override readonly name = 'ForbiddenError';
}
export const isForbiddenError = (e: unknown): e is ForbiddenError => e instanceof ForbiddenError;

/** 422 / 400: the API server refuses an object the operator sent (validation, admission). */
export class InvalidObjectError extends ApiStatusError {
  override readonly name = 'InvalidObjectError';
}
export const isInvalidObjectError = (e: unknown): e is InvalidObjectError => e instanceof InvalidObjectError;

/** A 2xx answer whose body is not what the operator expects (zod refused it). */
export class UnexpectedResponseError extends Error {
  override readonly name = 'UnexpectedResponseError';
}
export const isUnexpectedResponseError = (e: unknown): e is UnexpectedResponseError => e instanceof UnexpectedResponseError;

/** The status code's error class. */
export function apiStatusError(
  status: number,
  message: string,
  reason: string | undefined,
  verb: string,
  path: string,
  options?: { cause?: unknown },
): ApiStatusError {
  const text = `${verb} ${path}: ${status}${reason ? ` ${reason}` : ''}: ${message}`;
  switch (status) {
    case 404:
      return new NotFoundError(text, status, reason, verb, path, options);
    case 409:
      return new ConflictError(text, status, reason, verb, path, options);
    case 410:
      return new ResourceExpiredError(text, status, reason, verb, path, options);
    case 401:
    case 403:
      return new ForbiddenError(text, status, reason, verb, path, options);
    case 400:
    case 422:
      return new InvalidObjectError(text, status, reason, verb, path, options);
    default:
      return new ApiStatusError(text, status, reason, verb, path, options);
  }
}

/** A metav1.Status, as the API server sends with an error (and in a watch's ERROR event). */
export const StatusSchema = z.looseObject({ kind: z.literal('Status'), message: z.string().optional(), reason: z.string().optional(), code: z.int().optional() });

/** The error class of a non-2xx answer whose body is `body` (a Status, JSON text or anything else). */
export function statusError(status: number, body: unknown, verb: string, path: string, options?: { cause?: unknown }): ApiStatusError {
  let parsed = body;
  if (typeof body === 'string') {
    try {
      parsed = JSON.parse(body);
    } catch {
      parsed = body;
    }
  }
  const st = StatusSchema.safeParse(parsed);
  const text = typeof body === 'string' ? body : JSON.stringify(body ?? '');
  return apiStatusError(status, st.success ? (st.data.message ?? text.slice(0, 300)) : text.slice(0, 300), st.success ? st.data.reason : undefined, verb, path, options);
}

/**
 * Any failure of a request made with @kubernetes/client-node as one of the classes above: an
 * ApiException (a non-2xx answer) or a Watch error carrying a statusCode → the status's class;
 * anything else (connection refused or reset, TLS, timeout, abort) → ApiTransportError. Errors
 * already of these classes pass through.
 */
export function kubeError(e: unknown, verb: string, path: string): Error {
  if (e instanceof ApiStatusError || e instanceof ApiTransportError || e instanceof UnexpectedResponseError || e instanceof KubeconfigError) return e;
  if (e instanceof ApiException) return statusError(e.code, e.body, verb, path, { cause: e });
  const statusCode = (e as { statusCode?: unknown } | undefined)?.statusCode;
  if (typeof statusCode === 'number') return statusError(statusCode, (e as Error).message, verb, path, { cause: e });
  return new ApiTransportError(`${verb} ${path}: ${(e as Error)?.message ?? String(e)}`, verb, path, { cause: e });
}
