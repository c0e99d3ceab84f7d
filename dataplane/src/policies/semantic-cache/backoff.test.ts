import { Backoff } from './backoff';

describe('Backoff', () => {
  it('skips calls after a failure, doubling per failure in a row up to the cap, until a success', () => {
    const b = new Backoff(1000, 4000);
    expect(b.allows('e', 0)).toBe(true);
    expect(b.failed('e', 0)).toEqual({ failures: 1, skipMs: 1000 });
    expect(b.allows('e', 999)).toBe(false);
    expect(b.allows('other', 999)).toBe(true);
    expect(b.allows('e', 1000)).toBe(true);
    expect(b.failed('e', 1000)).toEqual({ failures: 2, skipMs: 2000 });
    expect(b.failed('e', 3000)).toEqual({ failures: 3, skipMs: 4000 });
    expect(b.failed('e', 7000)).toEqual({ failures: 4, skipMs: 4000 });
    expect(b.succeeded('e')).toBe(true);
    expect(b.succeeded('e')).toBe(false);
    expect(b.allows('e', 7001)).toBe(true);
    expect(b.failed('e', 8000).skipMs).toBe(1000);
  });
});
