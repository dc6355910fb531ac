// How a running agent ends badly, beyond config and export setup errors.

/** The native engine failed while capturing (its error is the cause). */
export class EngineCrashError extends Error {
  override readonly name = 'EngineCrashError';
}

export const isEngineCrashError = (e: unknown): e is EngineCrashError => e instanceof EngineCrashError;
