import { parseDataplaneFlags, parseRunFlags, UsageError } from './args';

describe('--ops-token / TOLLGATE_OPS_TOKEN and --ops-url / TOLLGATE_OPS_URL', () => {
  const parsers = [
    ['run', (argv: string[], env: NodeJS.ProcessEnv) => parseRunFlags(['-f', 'x', ...argv], env)],
    [
      'dataplane',
      (argv: string[], env: NodeJS.ProcessEnv) => parseDataplaneFlags(['--discovery', 'c:1', ...argv], env),
    ],
  ] as const;

  it.each(parsers)('%s: unset by default; the flag wins over the environment', (_n, parse) => {
    expect(parse([], {})).toMatchObject({ opsToken: undefined, opsUrl: undefined });
    expect(parse([], { TOLLGATE_OPS_TOKEN: '', TOLLGATE_OPS_URL: '' })).toMatchObject({
      opsToken: undefined,
      opsUrl: undefined,
    });
    expect(
      parse([], { TOLLGATE_OPS_TOKEN: 'env-t', TOLLGATE_OPS_URL: 'http://ops.env:9091/' }),
    ).toMatchObject({
      opsToken: 'env-t',
      opsUrl: 'http://ops.env:9091',
    });
    expect(
      parse(['--ops-token', 'flag-t', '--ops-url', 'https://ops.example.com'], {
        TOLLGATE_OPS_TOKEN: 'env-t',
        TOLLGATE_OPS_URL: 'http://ops.env:9091',
      }),
    ).toMatchObject({ opsToken: 'flag-t', opsUrl: 'https://ops.example.com' });
  });

  it.each(parsers)('%s: refuses an ops URL that is not http(s)', (_n, parse) => {
    for (const bad of ['ops:9091', 'ftp://ops', 'http://']) {
      expect(() => parse(['--ops-url', bad], {})).toThrow(UsageError);
      expect(() => parse(['--ops-url', bad], {})).toThrow('--ops-url must be an http or https URL');
    }
  });
});
