// Types for run-container.mjs.
export interface ContainerRun {
  status: number | null;
  stdout: string;
  stderr: string;
  seconds: number;
}

export function runContainer(
  ref: string,
  args?: string[],
  options?: {
    user?: string | number;
    readOnly?: boolean;
    entrypoint?: string | string[];
    env?: Record<string, string>;
    volumes?: string[];
    timeoutMs?: number;
  },
): ContainerRun;

export interface ImageConfig {
  User?: string;
  Entrypoint?: string[];
  Cmd?: string[];
  Env?: string[];
  WorkingDir?: string;
  Labels?: Record<string, string>;
}
export function imageConfig(ref: string): ImageConfig;
