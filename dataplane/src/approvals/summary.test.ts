import { SUMMARY_MAX_CHARS, summariseArguments } from './summary';

describe('summariseArguments', () => {
  it.each<[string, unknown, string]>([
    [
      'plain values pass',
      { path: '/tmp/a', recursive: true, n: 3 },
      '{"path":"/tmp/a","recursive":true,"n":3}',
    ],
    [
      'secret-named keys are redacted',
      { password: 'hunter2', api_key: 'x', accessToken: 'y', max_tokens: 5 },
      '{"password":"[redacted]","api_key":"[redacted]","accessToken":"[redacted]","max_tokens":5}',
    ],
    [
      'secret-looking values are redacted anywhere',
      { note: 'use sk-ant-0123456789abcdefghijklmn', list: ['Bearer abcdefghijkl'] },
      '{"note":"[redacted]","list":["[redacted]"]}',
    ],
    ['URLs with credentials are redacted', { db: 'postgres://u:pw@db:5432/x' }, '{"db":"[redacted]"}'],
    [
      'JWTs are redacted',
      { t: 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.abc' },
      '{"t":"[redacted]"}',
    ],
    ['no arguments', undefined, 'null'],
    ['a bare string', 'rm -rf /', '"rm -rf /"'],
  ])('%s', (_name, args, expected) => {
    expect(summariseArguments(args)).toBe(expected);
  });

  it('cuts long strings, long lists and deep nesting, and the whole', () => {
    const long = summariseArguments({ text: 'a'.repeat(500) });
    expect(long).toBe(`{"text":"${'a'.repeat(200)}… (500 chars)"}`);
    expect(summariseArguments({ xs: Array.from({ length: 60 }, (_, i) => i) })).toContain('"[… 10 more]"');
    expect(summariseArguments({ a: { b: { c: { d: { e: { f: { g: 1 } } } } } } })).toContain('"[…]"');
    const huge = summariseArguments(Array.from({ length: 50 }, () => 'b'.repeat(199)));
    expect(huge.length).toBe(SUMMARY_MAX_CHARS);
    expect(huge.endsWith('… (truncated)')).toBe(true);
  });
});
