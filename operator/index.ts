// The operator's public module: what the CLI (cli/operator) and other packages use of the
// operator. Other packages import this, never a file under operator/ (tests may). Importing it
// loads the whole operator (the process in operator/main.ts and everything it runs): the agent's
// side (cli/agent, cli/analyze, cli/capture) does not.
export {
  DEFAULT_AGENT_IMAGE,
  OperatorOptionsSchema,
  startOperator,
  type OperatorOptions,
  type OperatorOptionsInput,
  type RunningOperator,
} from './main.js';
// The API the operator serves.
export { API_VERSION, KIND, SnifferPolicySchema, type SnifferPolicy } from './api/policy.js';
