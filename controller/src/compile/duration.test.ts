import { parseDuration } from './duration';

describe('parseDuration', () => {
  it.each([
    ['500ms', 500],
    ['30s', 30_000],
    ['1.5s', 1500],
    ['5m', 300_000],
    ['1h30m', 5_400_000],
    ['0s', 0],
  ])('%s → %i ms', (text, ms) => expect(parseDuration(text)).toBe(ms));
  it.each(['', '10', 's', '1d', '-1s', '1 s', '1s2', 'abc'])('rejects %j', (text) =>
    expect(parseDuration(text)).toBeUndefined(),
  );
});
