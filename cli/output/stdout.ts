// Writing records to stdout with back-pressure, stopping quietly when the
// reader goes away (| head).
import { once } from 'node:events';

/** stdout closed early (| head): stop quietly. */
export class OutputClosed extends Error {
  override readonly name = 'OutputClosed';
}

export async function writeStdout(chunk: Buffer | string): Promise<void> {
  if (process.stdout.destroyed) throw new OutputClosed();
  if (!process.stdout.write(chunk)) {
    try {
      await Promise.race([once(process.stdout, 'drain'), once(process.stdout, 'close')]);
    } catch (err) {
      // once() rejects with the stream's error: EPIPE is the reader going away.
      if ((err as NodeJS.ErrnoException).code === 'EPIPE') throw new OutputClosed();
      throw err;
    }
    if (process.stdout.destroyed) throw new OutputClosed();
  }
}
