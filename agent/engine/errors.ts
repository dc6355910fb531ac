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

/** The capture filter (tcpdump syntax) does not compile; the message names it. */
export class CaptureFilterError extends Error {
  override readonly name = 'CaptureFilterError';
}

/** The live capture device does not exist: interface, PCI device, or virtual device. */
export class CaptureDeviceError extends Error {
  override readonly name = 'CaptureDeviceError';
}

/** The process may not capture: a capability, /dev/vfio or hugepages are missing. */
export class CapturePermissionError extends Error {
  override readonly name = 'CapturePermissionError';
}

/** A live capture could not be set up (EAL, core list, ring or memory sizes); the message says what to fix. */
export class CaptureSetupError extends Error {
  override readonly name = 'CaptureSetupError';
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
export const isCaptureFilterError = (e: unknown): e is CaptureFilterError => e instanceof CaptureFilterError;
export const isCaptureDeviceError = (e: unknown): e is CaptureDeviceError => e instanceof CaptureDeviceError;
export const isCapturePermissionError = (e: unknown): e is CapturePermissionError => e instanceof CapturePermissionError;
export const isCaptureSetupError = (e: unknown): e is CaptureSetupError => e instanceof CaptureSetupError;
/** Any of the live-capture start-up errors. */
export const isCaptureError = (e: unknown): e is CaptureDeviceError | CapturePermissionError | CaptureSetupError | CaptureFilterError =>
  isCaptureDeviceError(e) || isCapturePermissionError(e) || isCaptureSetupError(e) || isCaptureFilterError(e);
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
    case 'ERR_TAPLINE_FILTER':
      return new CaptureFilterError(err.message, options);
    case 'ERR_TAPLINE_CAPTURE_DEVICE':
      return new CaptureDeviceError(err.message, options);
    case 'ERR_TAPLINE_CAPTURE_PERMISSION':
      return new CapturePermissionError(err.message, options);
    case 'ERR_TAPLINE_CAPTURE_SETUP':
      return new CaptureSetupError(err.message, options);
    case 'ERR_TAPLINE_STATE':
      return new EngineStateError(err.message, options);
    case 'ERR_TAPLINE_NATIVE':
      return new NativeEngineError(err.message, options);
    default:
      return err;
  }
}
