// The agent's one root logger (pino, JSON lines on stdout); everything else takes child loggers.
import { pino, type Level, type Logger } from 'pino';

export function rootLogger(level: Level = 'info'): Logger {
  return pino({
    level,
    base: { component: 'agent' },
    timestamp: pino.stdTimeFunctions.isoTime,
    // Defence in depth: nothing logs secrets, and these keys are blanked if anything tries.
    redact: { paths: ['password', 'pass', 'token', 'seed', 'creds', '*.password', '*.pass', '*.token', '*.seed', '*.creds'], censor: '[redacted]' },
  });
}
