// How exporting to NATS JetStream can fail, one class per way, with isX() predicates. Messages
// name fields, paths, servers and streams, never a credential's content.

/** A credentials or TLS file cannot be read or does not hold what it should. */
export class CredentialsError extends Error {
  override readonly name = 'CredentialsError';
  constructor(
    message: string,
    readonly field: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** No NATS server could be reached (or it refused us) when the exporter started. */
export class NatsConnectError extends Error {
  override readonly name = 'NatsConnectError';
}

/** The stream does not exist and the config does not allow creating it. */
export class StreamMissingError extends Error {
  override readonly name = 'StreamMissingError';
  constructor(
    message: string,
    readonly stream: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** The stream exists but does not capture the subjects the agent publishes to. */
export class StreamSubjectsError extends Error {
  override readonly name = 'StreamSubjectsError';
  constructor(
    message: string,
    readonly stream: string,
    readonly uncovered: readonly string[],
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** The JetStream API refused to describe or create the stream (permissions, limits, JetStream off). */
export class StreamSetupError extends Error {
  override readonly name = 'StreamSetupError';
}

/** The disk spool cannot be written or read. */
export class SpoolError extends Error {
  override readonly name = 'SpoolError';
}

/** A publish after close(). */
export class ExporterClosedError extends Error {
  override readonly name = 'ExporterClosedError';
}

export const isCredentialsError = (e: unknown): e is CredentialsError => e instanceof CredentialsError;
export const isNatsConnectError = (e: unknown): e is NatsConnectError => e instanceof NatsConnectError;
export const isStreamMissingError = (e: unknown): e is StreamMissingError => e instanceof StreamMissingError;
export const isStreamSubjectsError = (e: unknown): e is StreamSubjectsError => e instanceof StreamSubjectsError;
export const isStreamSetupError = (e: unknown): e is StreamSetupError => e instanceof StreamSetupError;
export const isSpoolError = (e: unknown): e is SpoolError => e instanceof SpoolError;
export const isExporterClosedError = (e: unknown): e is ExporterClosedError => e instanceof ExporterClosedError;
