// Errors of the render layer: a policy that is valid on its own but cannot be rendered under the
// operator's settings. Terminal until the spec or the settings change.
export class PrivilegedNotAllowedError extends Error {
  override readonly name = 'PrivilegedNotAllowedError';
  /** Condition reason for the policy's status. */
  readonly reason = 'PrivilegedNotAllowed';
}

export function isPrivilegedNotAllowedError(e: unknown): e is PrivilegedNotAllowedError {
  return e instanceof PrivilegedNotAllowedError;
}

/** The rendered agent config failed the agent's own schema: a bug, or a spec/agent version skew. */
export class AgentConfigRefusedError extends Error {
  override readonly name = 'AgentConfigRefusedError';
  readonly reason = 'AgentConfigRefused';
}

export function isAgentConfigRefusedError(e: unknown): e is AgentConfigRefusedError {
  return e instanceof AgentConfigRefusedError;
}
