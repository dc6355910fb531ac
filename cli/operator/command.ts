// `tapline operator`: runs the operator until SIGTERM/SIGINT, then stops informers, releases the
// leader Lease and exits 0.
import { pino } from 'pino';
import { startOperator } from '../../operator/index.js';
import { OPERATOR_USAGE, parseOperatorArgs } from './options.js';

export { OPERATOR_USAGE };

export async function runOperator(args: string[]): Promise<number> {
  const cmd = parseOperatorArgs(args);
  if (cmd === 'help') {
    process.stdout.write(OPERATOR_USAGE);
    return 0;
  }
  const log = pino({ name: 'tapline-operator', level: cmd.logLevel });
  const running = await startOperator(cmd.options, log);
  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGTERM', () => resolve('SIGTERM'));
    process.once('SIGINT', () => resolve('SIGINT'));
  });
  log.info({ signal }, 'shutting down');
  await running.stop();
  return 0;
}
