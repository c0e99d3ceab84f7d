import { Writable } from 'node:stream';
import type { Logger } from 'pino';
import { accessLog, type AccessRecord } from './access-log';
import { createLogger } from './logger';

/** A logger writing into an array of lines, as createLogger builds it for production. */
function capture(level = 'info'): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(...chunk.toString().split('\n').filter(Boolean));
      done();
    },
  });
  return { logger: createLogger({ level, destination, pretty: false }), lines };
}

const base: AccessRecord = {
  requestId: '6f1c2a3e-1234-4abc-9def-0123456789ab',
  method: 'POST',
  path: '/bench/v1/chat/completions',
  status: 200,
  gateway: 'bench',
  consumer: 'app',
  registry: 'default/openai',
  model: 'gpt-4o-mini',
  upstreamModel: 'gpt-4o-mini-2024-07-18',
  durationMs: 1.2,
  upstreamMs: 0.8,
  error: undefined,
  upstreamError: undefined,
};

/** The same record through pino's own `info()`: the fields and their order must match; the time may not. */
function withoutTime(line: string): Record<string, unknown> {
  const parsed = JSON.parse(line) as Record<string, unknown>;
  delete parsed.time;
  return parsed;
}

describe('accessLog', () => {
  it.each<[string, Partial<AccessRecord>]>([
    ['a plain success', {}],
    [
      'an error with the upstream code and no upstream time',
      { status: 502, error: 'upstream_failed', upstreamError: 'ECONNRESET', upstreamMs: undefined },
    ],
    [
      'strings that need escaping',
      { path: '/a"b\\c\u0001\u2028/é', upstreamModel: 'm\nodel', method: 'PO"ST' },
    ],
    ['a long value', { path: `/${'x'.repeat(300)}` }],
    ['non-finite and negative numbers', { durationMs: Number.NaN, upstreamMs: -0.5 }],
  ])('writes what pino would: %s', (_name, change) => {
    const r = { ...base, ...change };
    const ours = capture();
    const theirs = capture();
    accessLog(ours.logger).write(r);
    theirs.logger.info(r, 'request');
    expect(ours.lines).toHaveLength(1);
    expect(Object.keys(JSON.parse(ours.lines[0] as string) as object)).toEqual(
      Object.keys(JSON.parse(theirs.lines[0] as string) as object),
    );
    expect(withoutTime(ours.lines[0] as string)).toEqual(withoutTime(theirs.lines[0] as string));
  });

  it("carries the logger's bindings (a worker's child logger)", () => {
    const { logger, lines } = capture();
    accessLog(logger.child({ worker: 2 })).write(base);
    expect(JSON.parse(lines[0] as string)).toMatchObject({ service: 'tollgate', worker: 2, msg: 'request' });
  });

  it('writes nothing below its level', () => {
    const { logger, lines } = capture('warn');
    accessLog(logger).write(base);
    expect(lines).toEqual([]);
  });

  it('goes through the API of a logger without pino internals', () => {
    const calls: unknown[][] = [];
    const fake = { info: (...args: unknown[]) => calls.push(args) } as unknown as Logger;
    accessLog(fake).write(base);
    expect(calls).toEqual([[base, 'request']]);
  });
});
