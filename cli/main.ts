// `tapline <command>`: the command-line entry (bin/tapline.js loads this).
import { runAgentCommand, AGENT_USAGE } from './agent/command.js';
import { runAnalyze, ANALYZE_USAGE } from './analyze/command.js';
import { runCapture, CAPTURE_USAGE } from './capture/command.js';
import { runOperator, OPERATOR_USAGE } from './operator/command.js';
import { isUsageError } from './usage-error.js';

const USAGE = `usage: tapline <command> [options]

commands:
  analyze FILE    read a pcap/pcapng capture (plain or gzip) and write its flow records
  capture         capture live (AF_PACKET or DPDK) and write flow records
  agent           run the node agent: capture, flow records and alerts to NATS JetStream
  operator        run the Kubernetes operator (SnifferPolicy -> capture-agent DaemonSets)

Run 'tapline <command> --help' for a command's options.
`;

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'analyze':
        return await runAnalyze(rest);
      case 'capture':
        return await runCapture(rest);
      case 'agent':
        return await runAgentCommand(rest);
      case 'operator':
        return await runOperator(rest);
      case undefined:
      case '-h':
      case '--help':
      case 'help':
        process.stdout.write(USAGE);
        return command === undefined ? 2 : 0;
      default:
        process.stderr.write(`tapline: unknown command '${command}'\n\n${USAGE}`);
        return 2;
    }
  } catch (err) {
    if (isUsageError(err)) {
      process.stderr.write(`tapline ${command}: ${err.message}\n\n${command === 'analyze' ? ANALYZE_USAGE : command === 'operator' ? OPERATOR_USAGE : command === 'capture' ? CAPTURE_USAGE : USAGE}`);
      return 2;
    }
    process.stderr.write(`tapline ${command}: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
}
