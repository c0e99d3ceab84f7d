import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { FORMATS } from './index';
import { DIRECTIONS, FORMAT_NAMES, GOLDEN_CASES, TESTDATA, matrix, readCase } from './golden-cases';

/**
 * Golden translation tests: every case under testdata/ × every direction × every format, compared
 * with the expected file the codecs wrote and a person read. Regenerate with UPDATE_GOLDEN=1 and
 * read the diff: a golden file that enshrines a bug is worse than none.
 *
 * Generated ids and timestamps are pinned so the files are stable: randomBytes yields a counter
 * (reset per test) and the clock stands at 2026-01-01T00:00:00Z.
 */
let mockCounter = 0;
jest.mock('node:crypto', () => {
  const actual = jest.requireActual<typeof import('node:crypto')>('node:crypto');
  return { ...actual, randomBytes: (n: number) => Buffer.alloc(n, ++mockCounter % 256) };
});

const NOW = Date.UTC(2026, 0, 1);

beforeEach(() => {
  mockCounter = 0;
  jest.spyOn(Date, 'now').mockReturnValue(NOW);
});

afterEach(() => {
  jest.restoreAllMocks();
});

function serialise(file: string, value: unknown): string {
  return file.endsWith('.sse') ? (value as string) : `${JSON.stringify(value, null, 2)}\n`;
}

describe('translation goldens', () => {
  it('has the rich case and the focused cases', () => {
    expect(GOLDEN_CASES.length).toBeGreaterThanOrEqual(12);
    expect(GOLDEN_CASES).toContain('01-rich');
  });

  it('covers every format in every direction of some case', () => {
    const cases = GOLDEN_CASES.map(readCase);
    for (const d of DIRECTIONS)
      for (const f of FORMAT_NAMES) expect(cases.filter((c) => d.applies(c, f)).length).toBeGreaterThan(0);
    expect(FORMAT_NAMES).toEqual(Object.keys(FORMATS));
  });

  it.each(matrix().map((m) => [m.title, m] as const))('%s', (_title, { c, direction, format }) => {
    const file = path.join(TESTDATA, c.name, direction.file(format));
    const actual = serialise(file, direction.run(c, FORMATS[format]));
    if (process.env.UPDATE_GOLDEN === '1' || !existsSync(file)) writeFileSync(file, actual);
    const expected = readFileSync(file, 'utf8');
    if (file.endsWith('.sse')) expect(actual).toBe(expected);
    else expect(JSON.parse(actual)).toEqual(JSON.parse(expected));
  });
});
