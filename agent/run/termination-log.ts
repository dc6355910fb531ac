// The agent's last word where Kubernetes picks it up: the kubelet mounts a file at the container's
// terminationMessagePath (/dev/termination-log by default) and copies what it holds into the
// container status (state/lastState.terminated.message) when the container exits; the operator
// reads it from there into the policy's Degraded condition. Best effort: outside a pod the file is
// not there and nothing is written; a write that fails is ignored (the message is on stderr too).
import { closeSync, constants, openSync, writeSync } from 'node:fs';

export const TERMINATION_LOG = '/dev/termination-log';
/** The kubelet keeps at most 4096 bytes of a termination message. */
const MAX_BYTES = 4096;

/** Where the message goes: $TAPLINE_TERMINATION_LOG (a non-default terminationMessagePath, tests), else /dev/termination-log. */
export function terminationLogPath(env: NodeJS.ProcessEnv = process.env): string {
  return env.TAPLINE_TERMINATION_LOG || TERMINATION_LOG;
}

/**
 * Replaces the file's content with `message` on one line, if the file exists and is writable
 * (never creates it). Returns whether it was written; never throws.
 */
export function writeTerminationMessage(message: string, file = terminationLogPath()): boolean {
  let line = message.replace(/\s*\n\s*/g, ' ').trim();
  let bytes = Buffer.from(line, 'utf8');
  if (bytes.length > MAX_BYTES) {
    line = bytes.subarray(0, MAX_BYTES - 3).toString('utf8').replace(/\uFFFD$/, '');
    bytes = Buffer.from(`${line}…`, 'utf8');
  }
  let fd: number | undefined;
  try {
    fd = openSync(file, constants.O_WRONLY | constants.O_TRUNC);
    writeSync(fd, bytes);
    return true;
  } catch {
    return false;
  } finally {
    if (fd !== undefined) {
      try {
        closeSync(fd);
      } catch {
        // nothing more to do on the way out
      }
    }
  }
}
