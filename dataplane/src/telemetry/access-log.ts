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

/**
 * Writes access-log lines exactly as `logger.info(record, 'request')` would (pino's level and time
 * framing, the logger's bindings, undefined fields left out, `msg` last) into the logger's own
 * destination, without pino's generic serialiser: the access log is written once per request, and
 * pino walking a 13-field object cost more than the rest of recording the request. The line's shape
 * is fixed, so it is built as one string, each string value escaped as JSON.
 */
export function accessLog(logger: Logger): (r: AccessRecord) => void {
  let write = writers.get(logger);
  if (!write) {
    write = writerFor(logger);
    writers.set(logger, write);
  }
  return write;
}

const writers = new WeakMap<Logger, (r: AccessRecord) => void>();

type Internals = Record<symbol, unknown>;

function writerFor(logger: Logger): (r: AccessRecord) => void {
  const internals = logger as unknown as Internals;
  const stream = internals[pino.symbols.streamSym] as { write(line: string): unknown } | undefined;
  const bindings = internals[pino.symbols.chindingsSym];
  // A logger without pino's internals (a test double): through its own API.
  if (!stream || typeof bindings !== 'string') return (r) => logger.info(r, 'request');
  return (r) => {
    if (!logger.isLevelEnabled('info')) return;
    let line =
      `{"level":"info"${isoTimestamp()}${bindings}` +
      `,"requestId":${str(r.requestId)},"method":${str(r.method)},"path":${str(r.path)}` +
      `,"status":${r.status},"gateway":${str(r.gateway)},"consumer":${str(r.consumer)}` +
      `,"registry":${str(r.registry)},"model":${str(r.model)},"upstreamModel":${str(r.upstreamModel)}` +
      `,"durationMs":${num(r.durationMs)}`;
    if (r.upstreamMs !== undefined) line += `,"upstreamMs":${num(r.upstreamMs)}`;
    if (r.error !== undefined) line += `,"error":${str(r.error)}`;
    if (r.upstreamError !== undefined) line += `,"upstreamError":${str(r.upstreamError)}`;
    stream.write(`${line},"msg":"request"}\n`);
  };
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
