import { openAIDuration, setTokenHeaders } from './headers';

describe('openAIDuration: as OpenAI writes x-ratelimit-reset-tokens', () => {
  it.each([
    [0, '0ms'],
    [850, '850ms'],
    [1000, '1s'],
    [1500, '1.5s'],
    [1004, '1.004s'],
    [59_999, '59.999s'],
    [60_000, '1m0s'],
    [360_000, '6m0s'],
    [90_500, '1m30.5s'],
    [3_723_004, '1h2m3.004s'],
    [86_400_000, '24h0m0s'],
    [-5, '0ms'],
  ])('%i ms → %s', (ms, text) => {
    expect(openAIDuration(ms)).toBe(text);
  });
});

it('sets the three token headers from a decision', () => {
  const headers: Record<string, string> = {};
  setTokenHeaders(headers, { allowed: true, limit: 1000, remaining: 250, retryAfterMs: 0, resetMs: 1500 });
  expect(headers).toEqual({
    'x-ratelimit-limit-tokens': '1000',
    'x-ratelimit-remaining-tokens': '250',
    'x-ratelimit-reset-tokens': '1.5s',
  });
});
