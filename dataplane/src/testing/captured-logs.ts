import { Writable } from 'node:stream';
import { createLogger, type Logger } from '../telemetry/logger';

/** A logger whose JSON lines the test reads back: `lines()` parses every line written so far. */
export function capturedLogger(): { logger: Logger; lines: () => Record<string, unknown>[] } {
  const raw: string[] = [];
  const logger = createLogger({
    level: 'info',
    destination: new Writable({
      write(chunk, _encoding, done) {
        raw.push(String(chunk));
        done();
      },
    }),
  });
  const lines = () =>
    raw
      .join('')
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  return { logger, lines };
}
