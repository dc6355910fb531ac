// `tapline <command>`: the command-line entry (bin/tapline.js loads this).
import { runAnalyze, ANALYZE_USAGE } from './analyze/command.js';
import { isUsageError } from './usage-error.js';

const USAGE = `usage: tapline <command> [options]

commands:
  analyze FILE    read a pcap/pcapng capture (plain or gzip) and write its flow records

Run 'tapline <command> --help' for a command's options.
`;

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'analyze':
        return await runAnalyze(rest);
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
      process.stderr.write(`tapline ${command}: ${err.message}\n\n${command === 'analyze' ? ANALYZE_USAGE : USAGE}`);
      return 2;
    }
    process.stderr.write(`tapline ${command}: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
}
