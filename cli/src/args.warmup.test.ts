import { DEFAULT_WARMUP } from '@tollgate/dataplane';
import { parseDataplaneFlags, parseRunFlags, UsageError } from './args';

describe('--warmup / --warmup-connections (TOLLGATE_WARMUP, TOLLGATE_WARMUP_CONNECTIONS)', () => {
  const parsers = [
    ['run', (argv: string[], env: NodeJS.ProcessEnv) => parseRunFlags(['-f', 'x', ...argv], env)],
    [
      'dataplane',
      (argv: string[], env: NodeJS.ProcessEnv) => parseDataplaneFlags(['--discovery', 'c:1', ...argv], env),
    ],
  ] as const;

  it.each(parsers)(
    '%s: on by default with the documented limits; the flag wins over the environment',
    (_n, parse) => {
      expect(parse([], {}).warmup).toEqual(DEFAULT_WARMUP);
      expect(DEFAULT_WARMUP).toMatchObject({ budgetMs: 1500, connections: 4 });
      expect(parse([], { TOLLGATE_WARMUP: '0.5' }).warmup).toMatchObject({ budgetMs: 500 });
      expect(parse(['--warmup', '2s'], { TOLLGATE_WARMUP: '0.5' }).warmup).toMatchObject({ budgetMs: 2000 });
      expect(parse([], { TOLLGATE_WARMUP_CONNECTIONS: '0' }).warmup).toMatchObject({ connections: 0 });
      expect(
        parse(['--warmup-connections', '16'], { TOLLGATE_WARMUP_CONNECTIONS: '2' }).warmup,
      ).toMatchObject({
        connections: 16,
      });
    },
  );

  it.each(parsers)('%s: 0 turns it off', (_n, parse) => {
    expect(parse(['--warmup', '0'], {}).warmup).toBe(false);
    expect(parse([], { TOLLGATE_WARMUP: '0' }).warmup).toBe(false);
  });

  it.each(parsers)('%s: refuses what is not a number of seconds or of connections', (_n, parse) => {
    expect(() => parse(['--warmup', 'soon'], {})).toThrow(UsageError);
    expect(() => parse(['--warmup=-1'], {})).toThrow('--warmup must be a number of seconds');
    for (const bad of ['-1', '1.5', 'many'])
      expect(() => parse([], { TOLLGATE_WARMUP_CONNECTIONS: bad })).toThrow('--warmup-connections must be');
  });
});
