import { createHash } from 'node:crypto';
import { canonicalJson, contentHash } from './hash';

describe('contentHash', () => {
  it('ignores key order at every depth', () => {
    const a = { b: 1, a: { y: [1, { q: 1, p: 2 }], x: 'z' } };
    const b = { a: { x: 'z', y: [1, { p: 2, q: 1 }] }, b: 1 };
    expect(canonicalJson(a)).toBe(canonicalJson(b));
    expect(contentHash(a)).toBe(contentHash(b));
  });
  it('changes with any value and keeps array order significant', () => {
    expect(contentHash({ a: [1, 2] })).not.toBe(contentHash({ a: [2, 1] }));
    expect(contentHash({ a: 1 })).not.toBe(contentHash({ a: 2 }));
  });
  it('is 16 hex digits and stable across runs', () => {
    expect(contentHash({ slug: 'demo' })).toMatch(/^[0-9a-f]{16}$/);
    // pinned: a change here changes every version every proxy holds
    expect(contentHash({ slug: 'demo' })).toBe(
      createHash('sha256').update('{"slug":"demo"}').digest('hex').slice(0, 16),
    );
  });
});
