import pino, { type DestinationStream, type Logger } from 'pino';

export type { Logger };

/** Longest a log line waits in the batch buffer. */
const FLUSH_INTERVAL_MS = 250;
/** A line at warn or above (every line starts with its level: `formatters.level` below). */
const URGENT = /^\{"level":"(?:warn|error|fatal)"/;

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

type SonicBoom = ReturnType<typeof pino.destination>;
type WriteBytes = (this: SonicBoom, data: Buffer) => boolean;
/** sonic-boom's own write, which the batched destinations' `write` calls with bytes. */
let writeBytes: WriteBytes | undefined;

/**
 * Writes pino's string lines as bytes into a buffer-mode sonic-boom, at once when a line is a warning
 * or worse. One function for every destination (not a closure each): the warm-up's logger and the
 * real one run the same optimised code.
 */
function writeBatched(this: SonicBoom, line: string | Buffer): boolean {
  const text = typeof line === 'string' ? line : undefined;
  const written = (writeBytes as WriteBytes).call(
    this,
    text === undefined ? (line as Buffer) : Buffer.from(text),
  );
  if (text !== undefined && URGENT.test(text)) this.flush();
  return written;
}

/**
 * A file descriptor's log destination: lines batched into 4 KiB writes, flushed at least every
 * 250 ms (a write syscall per request would cost more than producing the line). Buffer mode: in text
 * mode sonic-boom measures its whole pending string on every write (Buffer.byteLength of up to
 * 16 KiB, flattening it), which cost more per request than the line itself; in buffer mode it keeps
 * lengths. pino writes strings: each is encoded once here. Warnings and errors are rare and wanted
 * now: they are written at once, with what is pending.
 */
export function batchedDestination(fd: number): SonicBoom {
  const stream = pino.destination({
    fd,
    sync: false,
    minLength: 4096,
    contentMode: 'buffer',
    periodicFlush: FLUSH_INTERVAL_MS,
  });
  writeBytes ??= stream.write as unknown as WriteBytes;
  stream.write = writeBatched as unknown as SonicBoom['write'];
  return stream;
}

// Shared by every logger (module functions, not closures per logger: see writeBatched).
const stampNow = () => isoTimestamp();
const levelField = (label: string) => ({ level: label });

/**
 * JSON logs with level names and ISO-8601 times (`"level":"info","time":"2026-…Z"`), both cheap:
 * a level name is pino's constant per level, the time `isoTimestamp`. Request headers
 * and credentials are never passed to a log call; tests assert that no key ever appears in the output.
 * On a terminal (`pretty`: by default when no destination is given and stdout is a TTY) the same
 * lines are shown by pino-pretty as readable rows instead (`[12:00:00.123] INFO: message` with the
 * fields below it; coloured when the output is a terminal), written synchronously so that no row is
 * lost or delayed when the process exits.
 */
export function createLogger(
  options: { level?: string; destination?: DestinationStream; pretty?: boolean } = {},
): Logger {
  let destination = options.destination;
  if (options.pretty ?? (!destination && process.stdout.isTTY === true)) {
    const out = (destination ?? process.stdout) as { isTTY?: boolean };
    // Loaded only for a terminal: pino-pretty and its dependencies cost a proxy that logs JSON
    // several MB of RSS (measured: ~1 MB of heap, ~6 MB of the node binary's pages).
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const pretty = require('pino-pretty') as typeof import('pino-pretty');
    destination = pretty({
      colorize: out.isTTY === true,
      translateTime: 'SYS:HH:MM:ss.l',
      ignore: 'pid,hostname,service',
      destination: destination ?? 1,
      sync: true,
    });
  }
  // Lines are batched into 4 KiB writes to stdout, flushed at least every 250 ms (see batchedDestination).
  destination ??= batchedDestination(1);
  return pino(
    {
      level: options.level ?? process.env.TOLLGATE_LOG_LEVEL ?? 'info',
      base: { service: 'tollgate' },
      timestamp: stampNow,
      formatters: { level: levelField },
    },
    destination,
  );
}
