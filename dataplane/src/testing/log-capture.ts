import { Writable } from 'node:stream';
import { createLogger, type Logger } from '../telemetry/logger';

/** A real logger at `level` whose lines are kept, parsed, in `lines` (in the order written). */
export function capturedLogger(level: string): { logger: Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk, _enc, cb) {
      for (const line of String(chunk).split('\n')) if (line) lines.push(JSON.parse(line));
      cb();
    },
  });
  return { logger: createLogger({ level, destination }), lines };
}

/** An error-level (or worse) line, whether levels are written as numbers or as names. */
export function isErrorLine(line: Record<string, unknown>): boolean {
  const { level } = line;
  return (typeof level === 'number' && level >= 50) || level === 'error' || level === 'fatal';
}

/** A debug line, whether levels are written as numbers or as names. */
export function isDebugLine(line: Record<string, unknown>): boolean {
  return line.level === 20 || line.level === 'debug';
}
