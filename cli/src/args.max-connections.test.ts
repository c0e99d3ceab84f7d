import { DEFAULT_HTTP_LIMITS } from '@tollgate/dataplane/proxy/http-server';
import { parseDataplaneFlags, parseRunFlags, UsageError } from './args';

describe('--max-connections / TOLLGATE_MAX_CONNECTIONS', () => {
  const parsers = [
    ['run', (argv: string[], env: NodeJS.ProcessEnv) => parseRunFlags(['-f', 'x', ...argv], env)],
    [
      'dataplane',
      (argv: string[], env: NodeJS.ProcessEnv) => parseDataplaneFlags(['--discovery', 'c:1', ...argv], env),
    ],
  ] as const;

  it.each(parsers)('%s: defaults to the documented cap; the flag wins over the environment', (_n, parse) => {
    expect(parse([], {}).maxConnections).toBe(DEFAULT_HTTP_LIMITS.maxConnections);
    expect(DEFAULT_HTTP_LIMITS.maxConnections).toBe(10_000);
    expect(parse([], { TOLLGATE_MAX_CONNECTIONS: '500' }).maxConnections).toBe(500);
    expect(parse(['--max-connections', '64'], { TOLLGATE_MAX_CONNECTIONS: '500' }).maxConnections).toBe(64);
  });

  it.each(parsers)('%s: refuses what is not a whole number of at least 1', (_n, parse) => {
    for (const bad of ['0', '-3', '1.5', 'many']) {
      expect(() => parse([`--max-connections=${bad}`], {})).toThrow(UsageError);
      expect(() => parse([], { TOLLGATE_MAX_CONNECTIONS: bad })).toThrow('--max-connections must be');
    }
  });
});
