import { denialMessage } from './messages';

describe('denialMessage', () => {
  const at = new Date(0);
  it.each<[string, Parameters<typeof denialMessage>[1], string]>([
    [
      'who and why',
      { approved: false, by: 'alice', reason: 'not in prod', at },
      "The call to 'rm' was denied by alice: not in prod.",
    ],
    [
      'why only',
      { approved: false, reason: 'cancelled by the caller', at },
      "The call to 'rm' was denied: cancelled by the caller.",
    ],
    ['nothing given', { approved: false, at }, "The call to 'rm' was denied."],
    [
      'a timeout',
      { approved: false, timedOut: true, reason: 'timed out after 5m', at },
      "The call to 'rm' was not approved: no decision in time (timed out after 5m).",
    ],
  ])('%s', (_name, result, expected) => {
    expect(denialMessage('rm', result)).toBe(expected);
  });
});
