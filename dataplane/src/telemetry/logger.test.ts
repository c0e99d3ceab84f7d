import fs from 'node:fs';
import { Writable } from 'node:stream';
import { createLogger, isoTimestamp } from './logger';

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

/** What the default destination writes to fd 1, stdout taken as not a terminal; `restore` undoes both. */
function stdoutWrites(): { written: string[]; restore(): void } {
  const stdout = process.stdout as { isTTY?: boolean };
  const wasTTY = stdout.isTTY;
  const written: string[] = [];
  const write = jest.spyOn(fs, 'write').mockImplementation(((
    fd: number,
    data: unknown,
    ...rest: unknown[]
  ) => {
    // An empty write is a flush timer of another logger with nothing batched.
    if (fd === 1 && String(data) !== '') written.push(String(data));
    const done = rest.at(-1) as (err: null, n: number) => void;
    process.nextTick(done, null, Buffer.byteLength(String(data)));
  }) as typeof fs.write);
  stdout.isTTY = false;
  return {
    written,
    restore: () => {
      write.mockRestore();
      stdout.isTTY = wasTTY;
    },
  };
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
  function terminal(isTTY: boolean): { out: Writable & { isTTY: boolean }; written: string[] } {
    const written: string[] = [];
    const out = Object.assign(
      new Writable({
        write(chunk: Buffer, _enc, cb) {
          written.push(chunk.toString());
          cb();
        },
      }),
      { isTTY },
    );
    return { out, written };
  }

  it('is a readable row: time of day, level name, message, then the fields', () => {
    const { out, written } = terminal(false);
    createLogger({ pretty: true, destination: out }).warn(
      { file: 'a.yaml', problems: ['x: must be y'], text: 'two words' },
      'manifests rejected',
    );
    expect(written).toHaveLength(1);
    const row = written[0] ?? '';
    expect(row).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] WARN: manifests rejected\n/);
    expect(row).toContain('file: "a.yaml"');
    expect(row).toContain('"x: must be y"');
    expect(row).toContain('text: "two words"');
    expect(row).not.toContain('service');
    expect(row).not.toContain('\x1b[');
    expect(() => JSON.parse(row) as unknown).toThrow();
  });

  it('colours the level only for a terminal', () => {
    const { out, written } = terminal(true);
    createLogger({ pretty: true, destination: out }).info({ port: 1 }, 'hello');
    expect(written).toHaveLength(1);
    const row = written[0] ?? '';
    expect(row).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] /);
    expect(row.slice(15)).toMatch(/^.\[32mINFO.\[39m: .*hello/);
    expect(row).toContain('\x1b[32mINFO\x1b[39m');
    expect(row).toMatch(/port.*: 1\n$/);
  });

  it('is what a logger writes to stdout on a terminal', () => {
    const stdout = process.stdout as { isTTY?: boolean };
    const wasTTY = stdout.isTTY;
    const writeSync = jest
      .spyOn(fs, 'writeSync')
      .mockImplementation((_fd, data: unknown) => String(data).length);
    try {
      stdout.isTTY = true;
      createLogger().info({ port: 2 }, 'on a terminal');
      const row = writeSync.mock.calls
        .filter(([fd]) => fd === 1)
        .map(([, data]) => String(data))
        .join('');
      expect(row).toContain('INFO');
      expect(row).toContain('on a terminal');
      expect(row).toContain('port');
      expect(() => JSON.parse(row) as unknown).toThrow();
    } finally {
      writeSync.mockRestore();
      stdout.isTTY = wasTTY;
    }
  });

  it('is batched JSON lines on stdout when stdout is not a terminal', async () => {
    const { written, restore } = stdoutWrites();
    try {
      const logger = createLogger();
      logger.info({ port: 3 }, 'not a terminal');
      expect(written).toEqual([]); // waits for a full 4 KiB batch or the flush timer
      logger.flush();
      await new Promise((resolve) => setImmediate(resolve));
    } finally {
      restore();
    }
    expect(written).toHaveLength(1);
    const entry = JSON.parse(written[0] ?? '') as Record<string, unknown>;
    expect(entry).toMatchObject({ level: 'info', msg: 'not a terminal', port: 3, service: 'tollgate' });
    expect(entry.time).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
  });

  it('writes a warning at once, with the lines batched before it, not at the next flush', async () => {
    const { written, restore } = stdoutWrites();
    try {
      const logger = createLogger();
      logger.info('batched');
      expect(written).toEqual([]);
      logger.warn('needs a look');
      await new Promise((resolve) => setImmediate(resolve));
      const lines = written.join('').split('\n').filter(Boolean);
      expect(lines.map((l) => (JSON.parse(l) as { msg: string }).msg)).toEqual(['batched', 'needs a look']);
      logger.error('broken');
      await new Promise((resolve) => setImmediate(resolve));
      expect(written.join('')).toContain('"msg":"broken"');
    } finally {
      restore();
    }
  });
});
