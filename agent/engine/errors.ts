// One error class per way the engine can fail, each with an isX() predicate.
// Native errors arrive with a `code` (native/binding/js_errors.h) and are
// turned into these by fromNativeError(); the original is kept as `cause`.

/** An engine option is invalid; `field` names it. */
export class EngineConfigError extends Error {
  override readonly name = 'EngineConfigError';
  constructor(
    message: string,
    readonly field?: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** The capture file is missing, unreadable, not a capture, or corrupt. */
export class CaptureFileError extends Error {
  override readonly name = 'CaptureFileError';
}

/** A call at the wrong time (after close, a second concurrent drain). */
export class EngineStateError extends Error {
  override readonly name = 'EngineStateError';
}

/** Anything else the native engine reported (out of memory, internal error). */
export class NativeEngineError extends Error {
  override readonly name = 'NativeEngineError';
}

export const isEngineConfigError = (e: unknown): e is EngineConfigError => e instanceof EngineConfigError;
export const isCaptureFileError = (e: unknown): e is CaptureFileError => e instanceof CaptureFileError;
export const isEngineStateError = (e: unknown): e is EngineStateError => e instanceof EngineStateError;
export const isNativeEngineError = (e: unknown): e is NativeEngineError => e instanceof NativeEngineError;

/** Maps an error thrown by the addon to its class; other values pass through untouched. */
export function fromNativeError(err: unknown): unknown {
  if (!(err instanceof Error)) return err;
  const code = (err as Error & { code?: unknown }).code;
  const options = { cause: err };
  switch (code) {
    case 'ERR_TAPLINE_CONFIG': {
      const field = /^([A-Za-z.]+):/.exec(err.message)?.[1];
      return new EngineConfigError(err.message, field, options);
    }
    case 'ERR_TAPLINE_CAPTURE_FILE':
      return new CaptureFileError(err.message, options);
    case 'ERR_TAPLINE_STATE':
      return new EngineStateError(err.message, options);
    case 'ERR_TAPLINE_NATIVE':
      return new NativeEngineError(err.message, options);
    default:
      return err;
  }
}
