// `tapline <command>`: the command-line entry (bin/tapline.js loads this). A command's module
// (cli/<command>/command.ts) is loaded only when that command runs, and this file imports none of
// them: `tapline --help` loads no command, and an image that carries one side of Tapline (the
// agent image: agent, analyze, capture, observe, top; the operator image: operator) runs without the other's.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { isUsageError } from './usage-error.js';

const USAGE = `usage: tapline <command> [options]

commands:
  analyze FILE    read a pcap/pcapng capture (plain or gzip) and write its flow records
  capture         capture live (AF_PACKET or DPDK) and write flow records
  agent           run the node agent: capture, flow records and alerts to NATS JetStream
  observe         print the flow records or alerts in the stream, filtered, or follow them
  top             a live view of the stream: rates, top talkers, TCP latency, alerts
  operator        run the Kubernetes operator (SnifferPolicy -> capture-agent DaemonSets)

Run 'tapline <command> --help' for a command's options.
`;

interface Command {
  /** Runs the command on its arguments; resolves to the exit status. */
  run(args: string[]): Promise<number>;
  /** Its usage text, printed after a bad command line. */
  usage: string;
}

type CommandName = 'analyze' | 'capture' | 'agent' | 'observe' | 'top' | 'operator';

/** Each command's module, loaded on use. The module of command `x` is cli/x/command.ts. */
const COMMANDS: Record<CommandName, { side: 'agent' | 'operator'; load: () => Promise<Command> }> = {
  analyze: { side: 'agent', load: async () => import('./analyze/command.js').then((m) => ({ run: m.runAnalyze, usage: m.ANALYZE_USAGE })) },
  capture: { side: 'agent', load: async () => import('./capture/command.js').then((m) => ({ run: m.runCapture, usage: m.CAPTURE_USAGE })) },
  agent: { side: 'agent', load: async () => import('./agent/command.js').then((m) => ({ run: m.runAgentCommand, usage: m.AGENT_USAGE })) },
  observe: { side: 'agent', load: async () => import('./observe/command.js').then((m) => ({ run: m.runObserve, usage: m.OBSERVE_USAGE })) },
  top: { side: 'agent', load: async () => import('./top/command.js').then((m) => ({ run: m.runTop, usage: m.TOP_USAGE })) },
  operator: { side: 'operator', load: async () => import('./operator/command.js').then((m) => ({ run: m.runOperator, usage: m.OPERATOR_USAGE })) },
};

const isCommandName = (s: string | undefined): s is CommandName => s !== undefined && Object.hasOwn(COMMANDS, s);

/** False in an image without the command's side (its module is not there). */
function installed(name: CommandName): boolean {
  const self = fileURLToPath(import.meta.url);
  return existsSync(path.join(path.dirname(self), name, `command${path.extname(self)}`));
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  switch (name) {
    case undefined:
    case '-h':
    case '--help':
    case 'help':
      process.stdout.write(USAGE);
      return name === undefined ? 2 : 0;
  }
  if (!isCommandName(name)) {
    process.stderr.write(`tapline: unknown command '${name}'\n\n${USAGE}`);
    return 2;
  }
  const { side, load } = COMMANDS[name];
  if (!installed(name)) {
    process.stderr.write(`tapline: the ${name} command is not in this installation (it comes with Tapline's ${side} side: the tapline ${side} image runs it)\n`);
    return 1;
  }
  let command: Command | undefined;
  try {
    command = await load();
    return await command.run(rest);
  } catch (err) {
    if (isUsageError(err)) {
      process.stderr.write(`tapline ${name}: ${err.message}\n\n${command?.usage ?? USAGE}`);
      return 2;
    }
    process.stderr.write(`tapline ${name}: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
}
