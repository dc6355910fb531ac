/** A command line that cannot be run as given (exit code 2, like other CLI tools). */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export const isUsageError = (e: unknown): e is UsageError => e instanceof UsageError;
