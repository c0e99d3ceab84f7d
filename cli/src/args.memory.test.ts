import { DEFAULT_MAX_SEMI_SPACE_MB, parseDataplaneFlags, parseRunFlags, UsageError } from './args';

describe('--max-semi-space (TOLLGATE_MAX_SEMI_SPACE)', () => {
  const parsers = [
    ['run', (argv: string[], env: NodeJS.ProcessEnv) => parseRunFlags(['-f', 'x', ...argv], env)],
    [
      'dataplane',
      (argv: string[], env: NodeJS.ProcessEnv) => parseDataplaneFlags(['--discovery', 'c:1', ...argv], env),
    ],
  ] as const;

  it.each(parsers)('%s: 4 MB by default; the flag wins over the environment; 0: V8 decides', (_n, parse) => {
    expect(DEFAULT_MAX_SEMI_SPACE_MB).toBe(4);
    expect(parse([], {}).maxSemiSpaceMb).toBe(DEFAULT_MAX_SEMI_SPACE_MB);
    expect(parse([], { TOLLGATE_MAX_SEMI_SPACE: '8' }).maxSemiSpaceMb).toBe(8);
    expect(parse(['--max-semi-space', '2'], { TOLLGATE_MAX_SEMI_SPACE: '8' }).maxSemiSpaceMb).toBe(2);
    expect(parse(['--max-semi-space', '0'], {}).maxSemiSpaceMb).toBeUndefined();
  });

  it.each(parsers)(
    "%s: none by default when NODE_OPTIONS gives V8's own --max-semi-space-size",
    (_n, parse) => {
      expect(parse([], { NODE_OPTIONS: '--max-semi-space-size=16' }).maxSemiSpaceMb).toBeUndefined();
      // asked for explicitly, it applies as well
      expect(
        parse(['--max-semi-space', '2'], { NODE_OPTIONS: '--max-semi-space-size=16' }).maxSemiSpaceMb,
      ).toBe(2);
    },
  );

  it.each(parsers)('%s: refuses what is not a whole number of MB', (_n, parse) => {
    for (const bad of ['-1', '1.5', 'big']) {
      expect(() => parse([`--max-semi-space=${bad}`], {})).toThrow(UsageError);
      expect(() => parse([], { TOLLGATE_MAX_SEMI_SPACE: bad })).toThrow('--max-semi-space must be');
    }
  });
});

describe('--optimize-wasm (TOLLGATE_OPTIMIZE_WASM)', () => {
  it.each([
    ['run', (argv: string[], env: NodeJS.ProcessEnv) => parseRunFlags(['-f', 'x', ...argv], env)],
    [
      'dataplane',
      (argv: string[], env: NodeJS.ProcessEnv) => parseDataplaneFlags(['--discovery', 'c:1', ...argv], env),
    ],
  ] as const)('%s: off by default; on with the flag or the environment set to 1 or true', (_n, parse) => {
    expect(parse([], {}).optimizeWasm).toBe(false);
    expect(parse(['--optimize-wasm'], {}).optimizeWasm).toBe(true);
    expect(parse([], { TOLLGATE_OPTIMIZE_WASM: '1' }).optimizeWasm).toBe(true);
    expect(parse([], { TOLLGATE_OPTIMIZE_WASM: 'true' }).optimizeWasm).toBe(true);
    expect(parse([], { TOLLGATE_OPTIMIZE_WASM: '0' }).optimizeWasm).toBe(false);
  });
});
