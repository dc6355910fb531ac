// `tapline agent --config FILE [--check]`: the node agent (what each DaemonSet pod runs).
import {
  engineOptions,
  exportSettings,
  isAgentConfigError,
  isCaptureFileError,
  isConfigFileError,
  isCredentialsError,
  isEngineConfigError,
  isEngineCrashError,
  isNatsConnectError,
  isSpoolError,
  isStreamMissingError,
  isStreamSetupError,
  isStreamSubjectsError,
  loadAgentConfig,
  loadNatsAuth,
  rootLogger,
  runAgent,
  writeTerminationMessage,
} from '../../agent/index.js';
import { parseAgentArgs } from './options.js';

export const AGENT_USAGE = `usage: tapline agent --config FILE [--check]

Runs the capture agent: reads the agent config (JSON, as the operator renders it
into a ConfigMap) and the environment (NODE_NAME, PCIDEVICE_* of the SR-IOV
device plugin), captures, and publishes flow records and alerts to NATS
JetStream. Serves /metrics, /healthz and /readyz on the config's metrics port.
SIGTERM stops the capture, flushes every live flow (end reason "shutdown") and
exits within shutdown.graceSeconds.

options:
  -c, --config FILE   the agent config
      --check         validate the config, the environment and the files it
                      names (credentials, TLS, capture file), then exit
  -h, --help          this help

exit status: 0 on a clean stop, 1 for a bad config, a start-up failure (NATS,
stream, credentials), an engine failure or undelivered records, 2 for a bad
command line. A fatal error is also written, on one line, to
/dev/termination-log when that file exists (the container's termination
message: Kubernetes shows it in the pod's status, and the operator in the
SnifferPolicy's Degraded condition); $TAPLINE_TERMINATION_LOG names another.
`;

/** Errors that end the agent at start with their own message (no stack). */
function isStartupError(err: unknown): boolean {
  return (
    isConfigFileError(err) ||
    isAgentConfigError(err) ||
    isCredentialsError(err) ||
    isNatsConnectError(err) ||
    isStreamMissingError(err) ||
    isStreamSubjectsError(err) ||
    isStreamSetupError(err) ||
    isSpoolError(err) ||
    isEngineConfigError(err) ||
    isCaptureFileError(err)
  );
}

/** The one-line fatal error: on stderr, and in the termination log for Kubernetes. */
function fatal(message: string): void {
  const line = `tapline agent: ${message}`;
  process.stderr.write(`${line}\n`);
  writeTerminationMessage(line);
}

export async function runAgentCommand(args: string[]): Promise<number> {
  try {
    return await agentCommand(args);
  } catch (err) {
    // Anything else (a bad command line, a bug) is reported by the caller on stderr; Kubernetes
    // gets the same line.
    writeTerminationMessage(`tapline agent: ${err instanceof Error ? err.message : String(err)}`);
    throw err;
  }
}

async function agentCommand(args: string[]): Promise<number> {
  const opts = parseAgentArgs(args);
  if (opts === 'help') {
    process.stdout.write(AGENT_USAGE);
    return 0;
  }
  try {
    const loaded = loadAgentConfig(opts.config, process.env);
    if (opts.check) {
      engineOptions(loaded.config, process.env);
      loadNatsAuth(exportSettings(loaded.config, loaded.env.NODE_NAME).credentials);
      process.stdout.write(`${opts.config}: config OK (policy ${loaded.config.policy.namespace}/${loaded.config.policy.name}, node ${loaded.env.NODE_NAME})\n`);
      return 0;
    }
    const log = rootLogger(loaded.config.logLevel ?? 'info');
    try {
      return await runAgent(loaded, log);
    } catch (err) {
      if (isEngineCrashError(err)) {
        log.fatal({ err }, err.message);
        fatal(err.message);
        return 1;
      }
      throw err;
    }
  } catch (err) {
    if (isStartupError(err)) {
      fatal((err as Error).message);
      return 1;
    }
    throw err;
  }
}
