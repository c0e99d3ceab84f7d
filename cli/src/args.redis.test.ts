import { parseDataplaneFlags, parseRunFlags, UsageError } from './args';

describe('--redis-url / TOLLGATE_REDIS_URL', () => {
  const parsers = [
    ['run', (argv: string[], env: NodeJS.ProcessEnv) => parseRunFlags(['-f', 'x', ...argv], env)],
    [
      'dataplane',
      (argv: string[], env: NodeJS.ProcessEnv) => parseDataplaneFlags(['--discovery', 'c:1', ...argv], env),
    ],
  ] as const;

  it.each(parsers)('%s: unset means in-process counters; the flag wins over the environment', (_n, parse) => {
    expect(parse([], {}).redisUrl).toBeUndefined();
    expect(parse([], { TOLLGATE_REDIS_URL: '' }).redisUrl).toBeUndefined();
    expect(parse([], { TOLLGATE_REDIS_URL: 'redis://env:6379' }).redisUrl).toBe('redis://env:6379');
    expect(
      parse(['--redis-url', 'rediss://:pw@flag:6380/2'], { TOLLGATE_REDIS_URL: 'redis://env:6379' }).redisUrl,
    ).toBe('rediss://:pw@flag:6380/2');
  });

  it.each(parsers)('%s: refuses what is not a redis URL, without echoing it', (_n, parse) => {
    for (const bad of ['localhost:6379', 'http://redis:6379', 'redis://', 'redis://:secret-pw@']) {
      expect(() => parse(['--redis-url', bad], {})).toThrow(UsageError);
      expect(() => parse(['--redis-url', bad], {})).toThrow(
        '--redis-url must be a redis:// or rediss:// URL with a host',
      );
    }
  });
});
