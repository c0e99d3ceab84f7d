import pino from 'pino';
import { isoTimestamp, type Logger } from './logger';

/** One request's access-log line: what `record()` knows when a request ends. */
export interface AccessRecord {
  requestId: string;
  method: string;
  path: string;
  status: number;
  gateway: string;
  consumer: string;
  registry: string;
  model: string;
  upstreamModel: string;
  durationMs: number;
  upstreamMs: number | undefined;
  error: string | undefined;
  upstreamError: string | undefined;
}

/** Writes one request's access-log line. */
export interface AccessLogWriter {
  write(r: AccessRecord): void;
}

/**
 * The access-log writer of `logger`: lines exactly as `logger.info(record, 'request')` would write
 * them (pino's level and time framing, the logger's bindings, undefined fields left out, `msg` last),
 * into the logger's own destination, without pino's generic serialiser: the access log is written
 * once per request, and pino walking a 13-field object cost more than the rest of recording the
 * request. The line's shape is fixed, so it is built as one string, each string value escaped as
 * JSON. Writers are classes, not closures, so every logger's (the warm-up's and the real one's)
 * runs the same optimised code.
 */
export function accessLog(logger: Logger): AccessLogWriter {
  let writer = writers.get(logger);
  if (!writer) {
    writer = writerFor(logger);
    writers.set(logger, writer);
  }
  return writer;
}

const writers = new WeakMap<Logger, AccessLogWriter>();

type Internals = Record<symbol, unknown>;

function writerFor(logger: Logger): AccessLogWriter {
  const internals = logger as unknown as Internals;
  const stream = internals[pino.symbols.streamSym] as LineStream | undefined;
  const bindings = internals[pino.symbols.chindingsSym];
  // A logger without pino's internals (a test double): through its own API.
  if (!stream || typeof bindings !== 'string') return new ApiWriter(logger);
  return new LineWriter(logger, stream, bindings);
}

interface LineStream {
  write(line: string): unknown;
}

class ApiWriter implements AccessLogWriter {
  constructor(private readonly logger: Logger) {}

  write(r: AccessRecord): void {
    this.logger.info(r, 'request');
  }
}

class LineWriter implements AccessLogWriter {
  constructor(
    private readonly logger: Logger,
    private readonly stream: LineStream,
    private readonly bindings: string,
  ) {}

  write(r: AccessRecord): void {
    if (!this.logger.isLevelEnabled('info')) return;
    let line =
      `{"level":"info"${isoTimestamp()}${this.bindings}` +
      `,"requestId":${str(r.requestId)},"method":${str(r.method)},"path":${str(r.path)}` +
      `,"status":${r.status},"gateway":${str(r.gateway)},"consumer":${str(r.consumer)}` +
      `,"registry":${str(r.registry)},"model":${str(r.model)},"upstreamModel":${str(r.upstreamModel)}` +
      `,"durationMs":${num(r.durationMs)}`;
    if (r.upstreamMs !== undefined) line += `,"upstreamMs":${num(r.upstreamMs)}`;
    if (r.error !== undefined) line += `,"error":${str(r.error)}`;
    if (r.upstreamError !== undefined) line += `,"upstreamError":${str(r.upstreamError)}`;
    this.stream.write(`${line},"msg":"request"}\n`);
  }
}
/** Printable ASCII without a quote or backslash: written as it is. */
const PLAIN = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;

function str(s: string): string {
  return s.length < 256 && PLAIN.test(s) ? `"${s}"` : JSON.stringify(s);
}

/** As JSON.stringify writes a number (a non-finite one is null). */
function num(n: number): string {
  return Number.isFinite(n) ? String(n) : 'null';
}
