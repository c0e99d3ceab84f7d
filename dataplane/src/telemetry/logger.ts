import pino, { type DestinationStream, type Logger } from 'pino';
import { prettyDestination } from './pretty';

export type { Logger };

/** Longest a log line waits in the batch buffer. */
const FLUSH_INTERVAL_MS = 250;

let second = -1;
let secondPrefix = '';

/**
 * pino's `time` field as ISO-8601 (`,"time":"2026-01-02T03:04:05.678Z"`). `toISOString` runs once
 * a second; each line only appends its milliseconds, so the readable time costs no more than an
 * epoch number on the hot path (pino's own isoTime formats a Date per line).
 */
export function isoTimestamp(now = Date.now()): string {
  const s = Math.floor(now / 1000);
  if (s !== second) {
    second = s;
    secondPrefix = `,"time":"${new Date(s * 1000).toISOString().slice(0, 20)}`;
  }
  const ms = now - s * 1000;
  return `${secondPrefix}${ms < 10 ? '00' : ms < 100 ? '0' : ''}${ms}Z"`;
}

/**
 * JSON logs with level names and ISO-8601 times (`"level":"info","time":"2026-…Z"`), both cheap:
 * a level name is pino's constant per level, the time `isoTimestamp`. Request headers
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
      timestamp: () => isoTimestamp(),
      formatters: { level: (label) => ({ level: label }) },
    },
    destination,
  );
}
