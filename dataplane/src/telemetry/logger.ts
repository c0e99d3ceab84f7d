import pino, { type DestinationStream, type Logger } from 'pino';
import { prettyDestination } from './pretty';

export type { Logger };

/** Longest a log line waits in the batch buffer. */
const FLUSH_INTERVAL_MS = 250;

/**
 * JSON logs with level names and ISO-8601 times (`"level":"info","time":"2026-…Z"`): both are
 * pino's cheap built-ins (a constant string per level, one `toISOString` per line). Request headers
 * and credentials are never passed to a log call; tests assert that no key ever appears in the output.
 * On a terminal (`pretty`, by default when stdout is a TTY) the same lines are shown one per row
 * as `time LEVEL message key=value …` instead.
 */
export function createLogger(
  options: { level?: string; destination?: DestinationStream; pretty?: boolean } = {},
): Logger {
  let destination = options.destination;
  if (!destination && (options.pretty ?? process.stdout.isTTY === true)) {
    destination = prettyDestination(process.stdout);
  }
  if (!destination) {
    // Lines are batched into 4 KiB writes, flushed at least every 250 ms: a write syscall per
    // request would cost more than producing the line.
    const stdout = pino.destination({ sync: false, minLength: 4096 });
    setInterval(() => stdout.flush(), FLUSH_INTERVAL_MS).unref();
    destination = stdout;
  }
  return pino(
    {
      level: options.level ?? process.env.TOLLGATE_LOG_LEVEL ?? 'info',
      base: { service: 'tollgate' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    destination,
  );
}
