import pino, { type DestinationStream, type Logger } from 'pino';

export type { Logger };

/** Longest a log line waits in the batch buffer. */
const FLUSH_INTERVAL_MS = 250;

/**
 * JSON logs (epoch-millisecond `time`, cheap on the hot path). Request headers and credentials are
 * never passed to a log call; tests assert that no key ever appears in the output.
 */
export function createLogger(options: { level?: string; destination?: DestinationStream } = {}): Logger {
  let destination = options.destination;
  if (!destination) {
    // Lines are batched into 4 KiB writes, flushed at least every 250 ms: a write syscall per
    // request would cost more than producing the line.
    const stdout = pino.destination({ sync: false, minLength: 4096 });
    setInterval(() => stdout.flush(), FLUSH_INTERVAL_MS).unref();
    destination = stdout;
  }
  return pino(
    { level: options.level ?? process.env.TOLLGATE_LOG_LEVEL ?? 'info', base: { service: 'tollgate' } },
    destination,
  );
}
