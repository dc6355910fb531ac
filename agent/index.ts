// The agent's public module: what the CLI (cli/agent, cli/analyze, cli/capture) and the operator
// use of the agent. Other packages import this, never a file under agent/ (tests may).
//
// Loaded with it: the operator -> agent contract (the agent config schema, where the config is
// mounted, the capture rules both sides check), config loading and checks, the engine wrapper
// (TypeScript; the native addon is loaded by Engine.open, not here), NATS credential checks, the
// error predicates, the logger and the metrics/health server. Loaded on first use only: the agent's runtime (runAgent: the
// NATS exporter and spool, alerts, the agent's metrics), so the operator, which imports this
// module for the config contract, neither loads nor ships it (see Dockerfile.operator).

import type { AgentRunOptions, runAgent as runLoadedAgent } from './run/agent.js';

// The operator -> agent contract.
export {
  AGENT_CONFIG_DIR,
  AGENT_CONFIG_KEY,
  AGENT_CONFIG_PATH,
  AGENT_CONFIG_VERSION,
  AgentConfigSchema,
  AgentEnvSchema,
  CaptureConfigSchema,
  subjectToken,
  type AgentConfig,
  type AgentEnv,
  type CaptureConfig,
  type ExportConfig,
  type NatsAuthConfig,
} from './config/schema.js';
export {
  CPUSET_PATTERN,
  DPDK_FILE_PREFIX_PATTERN,
  DPDK_VDEV_PATTERN,
  ENGINE_DPDK_VDEV_PATTERN,
  ENGINE_INTERFACE_NAME_PATTERN,
  FLOW_DEFAULTS,
  HUGEPAGE_SIZES,
  INTERFACE_NAME_PATTERN,
  PCI_ADDRESS_PATTERN,
} from './config/capture-rules.js';

// The operator -> agent identity map contract (the key-value bucket's keys and values) and the
// flow ends it describes; the NATS connection both sides open the same way.
export {
  ClusterRangesSchema,
  DEFAULT_IDENTITY_BUCKET,
  IDENTITY_VALUE_VERSION,
  IdentityEntrySchema,
  IdentityValueSchema,
  RANGES_KEY,
  addressKey,
  isAddressKey,
  keyAddress,
  type ClusterRanges,
  type IdentityEntry,
  type IdentityValue,
} from './identity/identity-value.js';
export { ENDPOINT_KINDS, EndpointSchema, type Endpoint, type EndpointKind, type Workload } from './identity/endpoint.js';
export { connectNats, type ConnectSettings } from './export/connection.js';

// Config: load, check, turn into engine options.
export { loadAgentConfig, type LoadedConfig } from './config/load.js';
export { engineOptions } from './config/engine-options.js';
export { isAgentConfigError, isConfigFileError } from './config/errors.js';

// The flow engine (the native addon's TypeScript wrapper) and what it returns.
export { Engine, type EngineOptions, type RecordBatch } from './engine/engine.js';
export type { EngineInfo, EngineStats } from './engine/stats.js';
export type { DetectorOptions } from './engine/detector-options.js';
export type { AlertEvent, AlertState, AlertType } from './engine/alert-event.js';
export { parseJsonLines, type FlowRecord } from './engine/flow-record.js';
export { pciAddressesFromEnv } from './engine/live-source.js';
export {
  isCaptureError,
  isCaptureFileError,
  isCaptureFilterError,
  isEngineConfigError,
  isEngineStateError,
  isNativeEngineError,
} from './engine/errors.js';

// Export to NATS: settings and credential checks (the exporter itself is the runtime's).
export { exportSettings, type ExportSettings } from './export/options.js';
export { loadNatsAuth } from './export/credentials.js';
export {
  isCredentialsError,
  isExporterClosedError,
  isNatsConnectError,
  isSpoolError,
  isStreamMissingError,
  isStreamSetupError,
  isStreamSubjectsError,
} from './export/errors.js';

// The metrics and health HTTP server (the agent's and the operator's).
export { MetricsServer, type Readiness } from './metrics/server.js';

// Running the agent.
export { isEngineCrashError } from './run/errors.js';
export { rootLogger } from './run/logger.js';
export { writeTerminationMessage } from './run/termination-log.js';

export type { AgentRunOptions };

/**
 * Runs the agent on a loaded config until SIGTERM/SIGINT; resolves to the exit status. Loads the
 * agent's runtime (engine, NATS export, spool, alerts, metrics) on the call, not on import.
 */
export async function runAgent(...args: Parameters<typeof runLoadedAgent>): Promise<number> {
  const { runAgent: run } = await import('./run/agent.js');
  return run(...args);
}
