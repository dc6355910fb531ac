// How loading the agent's configuration can fail, one class per way, each naming what is wrong.

/** The config file cannot be read or is not JSON. */
export class ConfigFileError extends Error {
  override readonly name = 'ConfigFileError';
  constructor(
    message: string,
    readonly path: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** The config (or the environment) is readable but invalid; `field` is the dotted path of the first problem. */
export class AgentConfigError extends Error {
  override readonly name = 'AgentConfigError';
  constructor(
    message: string,
    readonly field: string,
    readonly problems: readonly string[] = [message],
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

export const isConfigFileError = (e: unknown): e is ConfigFileError => e instanceof ConfigFileError;
export const isAgentConfigError = (e: unknown): e is AgentConfigError => e instanceof AgentConfigError;
