import { matchesAll, prepareConditions, scalarAt, type MatchInput } from './match';

const headers = (h: Record<string, string>) => ({ header: (name: string) => h[name] });

describe('scalarAt', () => {
  const body = {
    user: 'u-1',
    n: 3,
    ok: false,
    none: null,
    metadata: { tier: 'gold', nested: { deep: 1.5 }, list: ['x'] },
    messages: [{ role: 'system' }, { role: 'user' }],
  };
  it.each([
    ['user', 'u-1'],
    ['n', '3'],
    ['ok', 'false'],
    ['metadata.tier', 'gold'],
    ['metadata.nested.deep', '1.5'],
    ['messages.1.role', 'user'],
    ['metadata.list.0', 'x'],
  ])('%s → %s', (path, expected) => {
    expect(scalarAt(body, path.split('.'))).toBe(expected);
  });

  it.each([
    ['absent', 'nope'],
    ['null', 'none'],
    ['an object', 'metadata'],
    ['a list', 'messages'],
    ['below a string', 'user.length'],
    ['a list index out of range', 'messages.2.role'],
    ['a list index with a leading zero', 'messages.01.role'],
    ['a key on a list', 'messages.role'],
    ['an inherited property', 'metadata.constructor'],
    ['the prototype', '__proto__'],
  ])('no value for %s', (_what, path) => {
    expect(scalarAt(body, path.split('.'))).toBeUndefined();
  });

  it('no value without a body', () => {
    expect(scalarAt(undefined, ['user'])).toBeUndefined();
  });
});

describe('matchesAll', () => {
  const conditions = prepareConditions([
    { header: 'X-Tier', values: ['gold', 'silver'] },
    { field: 'metadata.region', values: ['eu'] },
  ]);
  if (!conditions) throw new Error('no conditions');

  it.each<[string, MatchInput, boolean]>([
    ['both hold', { headers: headers({ 'x-tier': 'silver' }), body: { metadata: { region: 'eu' } } }, true],
    [
      'header value differs',
      { headers: headers({ 'x-tier': 'bronze' }), body: { metadata: { region: 'eu' } } },
      false,
    ],
    [
      'values are case-sensitive',
      { headers: headers({ 'x-tier': 'Gold' }), body: { metadata: { region: 'eu' } } },
      false,
    ],
    ['header missing', { headers: headers({}), body: { metadata: { region: 'eu' } } }, false],
    [
      'field differs',
      { headers: headers({ 'x-tier': 'gold' }), body: { metadata: { region: 'us' } } },
      false,
    ],
    ['no headers or body given', {}, false],
  ])('%s', (_what, input, expected) => {
    expect(matchesAll(conditions, input)).toBe(expected);
  });

  it('looks the header up by its lower-case name', () => {
    const asked: string[] = [];
    const input = {
      headers: { header: (n: string) => (asked.push(n), n === 'x-tier' ? 'gold' : undefined) },
      body: { metadata: { region: 'eu' } },
    };
    expect(matchesAll(conditions, input)).toBe(true);
    expect(asked).toEqual(['x-tier']);
  });

  it('compares numbers and booleans as text', () => {
    const c = prepareConditions([
      { field: 'n', values: ['2'] },
      { field: 'flag', values: ['true'] },
    ]);
    expect(c && matchesAll(c, { body: { n: 2, flag: true } })).toBe(true);
    expect(c && matchesAll(c, { body: { n: '2', flag: 'true' } })).toBe(true);
    expect(c && matchesAll(c, { body: { n: 2.5, flag: true } })).toBe(false);
  });
});

describe('prepareConditions', () => {
  it('no conditions: undefined, the always-eligible fast path', () => {
    expect(prepareConditions(undefined)).toBeUndefined();
    expect(prepareConditions([])).toBeUndefined();
  });
});
