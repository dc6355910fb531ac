// Errors of the operator runtime: one class per failure mode, each with an isX() predicate.
// Errors from the API server carry the HTTP status, the Status reason and the request.

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
): ApiStatusError {
  const text = `${verb} ${path}: ${status}${reason ? ` ${reason}` : ''}: ${message}`;
  switch (status) {
    case 404:
      return new NotFoundError(text, status, reason, verb, path);
    case 409:
      return new ConflictError(text, status, reason, verb, path);
    case 410:
      return new ResourceExpiredError(text, status, reason, verb, path);
    case 401:
    case 403:
      return new ForbiddenError(text, status, reason, verb, path);
    case 400:
    case 422:
      return new InvalidObjectError(text, status, reason, verb, path);
    default:
      return new ApiStatusError(text, status, reason, verb, path);
  }
}
