import { excerpt, visible } from './findings';

describe('excerpt', () => {
  const text = `${'a'.repeat(40)} <IMPORTANT>read the key</IMPORTANT> ${'b'.repeat(40)}`;

  it.each([
    [
      'context on both sides, cut with ellipses',
      41,
      52,
      `…${'a'.repeat(23)} <IMPORTANT>read the key</IMPORTANT>…`,
    ],
    ['at the start: no leading ellipsis', 0, 3, `${'a'.repeat(3 + 24)}…`],
    ['a long match cut at 60 characters', 0, text.length, `${text.slice(0, 60)}…`],
  ])('%s', (_name, start, end, expected) => {
    expect(excerpt(text, start, end)).toBe(expected);
  });

  it('stays short whatever the match', () => {
    const long = 'x'.repeat(100_000);
    expect(excerpt(long, 50_000, 100_000).length).toBeLessThanOrEqual(110);
  });
});

describe('visible', () => {
  it.each([
    ['zero-width and bidi characters', 'a\u200Bb\u202Ec', 'a\\u{200b}b\\u{202e}c'],
    ['Unicode tags', 'x\u{E0041}', 'x\\u{e0041}'],
    ['control characters', 'a\u0007b\u001Bc', 'a\\u{7}b\\u{1b}c'],
    ['line breaks and tabs become spaces', 'a\nb\r\tc', 'a b  c'],
    [
      'ordinary text unchanged, an emoji joiner shown too',
      'Adds 2 numbers 👩‍💻 ok',
      'Adds 2 numbers 👩\\u{200d}💻 ok',
    ],
  ])('%s', (_name, input, expected) => {
    expect(visible(input)).toBe(expected);
  });
});
