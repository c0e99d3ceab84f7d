import { Writable } from 'node:stream';
import { createLogger, isoTimestamp } from './logger';
import { formatPretty, prettyDestination } from './pretty';

function capture(): { destination: Writable; lines: string[] } {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, cb) {
      lines.push(...chunk.toString().split('\n').filter(Boolean));
      cb();
    },
  });
  return { destination, lines };
}

describe('JSON log lines', () => {
  it('carry the level name and an ISO-8601 time', () => {
    const { destination, lines } = capture();
    const before = Date.now();
    const logger = createLogger({ level: 'debug', destination });
    logger.info({ port: 8081 }, 'dataplane listening');
    logger.warn('careful');
    logger.debug('details');
    const parsed = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(parsed.map((p) => p.level)).toEqual(['info', 'warn', 'debug']);
    expect(parsed[0]).toMatchObject({ msg: 'dataplane listening', port: 8081, service: 'tollgate' });
    const time = parsed[0]?.time as string;
    expect(time).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
    expect(Date.parse(time)).toBeGreaterThanOrEqual(before - 1);
    expect(Date.parse(time)).toBeLessThanOrEqual(Date.now());
  });

  it('respect the level', () => {
    const { destination, lines } = capture();
    const logger = createLogger({ level: 'warn', destination });
    logger.info('hidden');
    logger.error('shown');
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0] as string)).toMatchObject({ level: 'error', msg: 'shown' });
  });
});

describe('isoTimestamp', () => {
  it.each([0, 5, 50, 999, 1000, 1_767_225_599_999, 1_767_225_600_000, 1_767_225_600_042, 1_767_225_600_507])(
    '%i ms is the ISO-8601 time of Date, across seconds and in any order',
    (ms) => {
      expect(isoTimestamp(ms)).toBe(`,"time":"${new Date(ms).toISOString()}"`);
      expect(isoTimestamp(ms + 1001)).toBe(`,"time":"${new Date(ms + 1001).toISOString()}"`);
      expect(isoTimestamp(ms)).toBe(`,"time":"${new Date(ms).toISOString()}"`);
    },
  );
});

describe('pretty output', () => {
  const line = JSON.stringify({
    level: 'warn',
    time: '2026-01-02T03:04:05.006Z',
    service: 'tollgate',
    msg: 'manifests rejected',
    file: 'a.yaml',
    problems: ['x: must be y'],
    text: 'two words',
  });

  it('is one row: time of day, level name, message, then the fields', () => {
    const t = new Date('2026-01-02T03:04:05.006Z');
    const clock = `${String(t.getHours()).padStart(2, '0')}:${String(t.getMinutes()).padStart(2, '0')}:05.006`;
    expect(formatPretty(line)).toBe(
      `${clock} WARN  manifests rejected file=a.yaml problems=["x: must be y"] text="two words"\n`,
    );
  });

  it('colours the level only for a terminal, and passes other text through', () => {
    expect(formatPretty(line, true)).toContain('\x1b[33mWARN \x1b[0m');
    expect(formatPretty(line)).not.toContain('\x1b[');
    expect(formatPretty('not json')).toBe('not json\n');
  });

  it('is what a logger writes on a terminal', () => {
    const written: string[] = [];
    const out = Object.assign(
      new Writable({
        write(chunk: Buffer, _enc, cb) {
          written.push(chunk.toString());
          cb();
        },
      }),
      { isTTY: true },
    );
    createLogger({ destination: prettyDestination(out) }).info({ port: 1 }, 'hello');
    expect(written).toHaveLength(1);
    expect(written[0]).toMatch(/^\d\d:\d\d:\d\d\.\d{3} /);
    expect(written[0]?.slice(13)).toBe('\x1b[32mINFO \x1b[0m hello port=1\n');

    const stdout = process.stdout as { isTTY?: boolean };
    const wasTTY = stdout.isTTY;
    const write = jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
    try {
      stdout.isTTY = true;
      createLogger().info('on a terminal');
      const row = String(write.mock.calls.at(-1)?.[0]);
      expect(row).toContain('on a terminal');
      expect(() => JSON.parse(row) as unknown).toThrow();
    } finally {
      write.mockRestore();
      stdout.isTTY = wasTTY;
    }
  });
});
