import type { DestinationStream } from 'pino';

const COLORS: Record<string, string> = {
  trace: '\x1b[90m',
  debug: '\x1b[36m',
  info: '\x1b[32m',
  warn: '\x1b[33m',
  error: '\x1b[31m',
  fatal: '\x1b[35m',
};
const RESET = '\x1b[0m';
/** Fields every line carries, shown in the prefix or not at all. */
const HIDDEN = new Set(['level', 'time', 'msg', 'service']);

/**
 * One JSON log line as a terminal row: `12:00:00.123 INFO  message key=value …` (the local time of
 * day; strings bare when they need no quoting, everything else as JSON). A line that is not JSON
 * passes through unchanged.
 */
export function formatPretty(line: string, color = false): string {
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line.endsWith('\n') ? line : `${line}\n`;
  }
  const level = typeof entry.level === 'string' ? entry.level : String(entry.level ?? '');
  const time = typeof entry.time === 'string' ? new Date(entry.time) : undefined;
  const clock =
    time && !Number.isNaN(time.getTime())
      ? `${[time.getHours(), time.getMinutes(), time.getSeconds()].map((n) => String(n).padStart(2, '0')).join(':')}.${String(time.getMilliseconds()).padStart(3, '0')}`
      : '';
  const name = level.toUpperCase().padEnd(5);
  const fields = Object.entries(entry)
    .filter(([k]) => !HIDDEN.has(k))
    .map(([k, v]) => `${k}=${typeof v === 'string' && /^[^\s"=]+$/.test(v) ? v : JSON.stringify(v)}`);
  const parts = [clock, color ? `${COLORS[level] ?? ''}${name}${RESET}` : name, String(entry.msg ?? '')];
  return `${[...parts, ...fields].filter(Boolean).join(' ')}\n`;
}

/** A pino destination writing each line pretty-printed to `out` (a terminal: colours when it is one). */
export function prettyDestination(out: NodeJS.WritableStream & { isTTY?: boolean }): DestinationStream {
  const color = out.isTTY === true;
  return { write: (line: string) => void out.write(formatPretty(line, color)) };
}
