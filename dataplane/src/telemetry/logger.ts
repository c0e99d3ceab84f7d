import pino, { type DestinationStream, type Logger } from 'pino';

export type { Logger };

/**
 * JSON logs. Request headers are never logged whole; the redact paths are a second line of defence
 * in case a credential ever reaches a log call.
 */
export function createLogger(options: { level?: string; destination?: DestinationStream } = {}): Logger {
  return pino(
    {
      level: options.level ?? process.env.TOLLGATE_LOG_LEVEL ?? 'info',
      base: { service: 'tollgate' },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: {
        paths: ['apiKey', '*.apiKey', 'authorization', '*.authorization', 'headers', '*.headers', 'key'],
        censor: '[redacted]',
      },
    },
    options.destination ?? pino.destination({ sync: false }),
  );
}
