import { availableParallelism } from 'node:os';
import { parseDataplaneFlags, parseRunFlags, UsageError, workerCount } from './args';

describe('--workers / TOLLGATE_WORKERS', () => {
  const parsers = [
    ['run', (argv: string[], env: NodeJS.ProcessEnv) => parseRunFlags(['-f', 'x', ...argv], env)],
    [
      'dataplane',
      (argv: string[], env: NodeJS.ProcessEnv) => parseDataplaneFlags(['--discovery', 'c:1', ...argv], env),
    ],
  ] as const;

  it.each(parsers)('%s: 1 by default; the flag wins over the environment', (_n, parse) => {
    expect(parse([], {}).workers).toBe(1);
    expect(parse([], { TOLLGATE_WORKERS: '3' }).workers).toBe(3);
    expect(parse(['--workers', '2'], { TOLLGATE_WORKERS: '3' }).workers).toBe(2);
  });

  it.each(parsers)('%s: auto is the cores this process may use', (_n, parse) => {
    expect(parse(['--workers', 'auto'], {}).workers).toBe(availableParallelism());
    expect(parse([], { TOLLGATE_WORKERS: 'auto' }).workers).toBe(availableParallelism());
    expect(workerCount('auto', 6)).toBe(6);
  });

  it.each(parsers)('%s: refuses what is neither auto nor a whole number of at least 1', (_n, parse) => {
    for (const bad of ['0', '-1', '2.5', 'all']) {
      expect(() => parse([`--workers=${bad}`], {})).toThrow(UsageError);
      expect(() => parse([], { TOLLGATE_WORKERS: bad })).toThrow('--workers must be');
    }
  });
});
