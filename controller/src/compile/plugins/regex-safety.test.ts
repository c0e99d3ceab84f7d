import { nestedRepetition } from './regex-safety';

describe('nestedRepetition: the catastrophic-backtracking heuristic', () => {
  it.each([
    ['(a+)+', '(a+)+'],
    ['^(a+)+$', '(a+)+'],
    ['(a*)*b', '(a*)*'],
    ['(\\w+\\s?)*$', '(\\w+\\s?)*'],
    ['(?:x*y?)+', '(?:x*y?)+'],
    ['((ab)+c)+', '((ab)+c)+'],
    ['(a{1,5}){2,}', '(a{1,5}){2,}'],
    ['(?<word>[a-z]+)*!', '(?<word>[a-z]+)*'],
    ['x|(a|b+)+', '(a|b+)+'],
    ['(?:[a-z]+[.a])+', '(?:[a-z]+[.a])+'],
    ['([a-z]+a)+', '([a-z]+a)+'],
    ['(?:.+\\.)+', '(?:.+\\.)+'],
    ['((a+))+', '((a+))+'],
  ])('refuses %s', (source, reported) => {
    expect(() => new RegExp(source, 'gu')).not.toThrow();
    expect(nestedRepetition(source)).toBe(reported);
  });

  it.each([
    'T-[0-9]+',
    '(\\d{3}-){2}\\d{4}',
    '([a-z0-9-]+\\.)+[a-z]{2,}',
    '(\\d+,)*\\d+',
    '(ab|cd)+',
    '(a+)?',
    '(a+){1}',
    '[(a+)+]',
    '\\(a+\\)+',
    '(?=a+)b',
    'EMP-\\u{41}+',
    '(\\p{L}+\\u002D)+',
    '(a+\\x2D)+',
  ])('accepts %s', (source) => {
    expect(() => new RegExp(source, 'gu')).not.toThrow();
    expect(nestedRepetition(source)).toBeUndefined();
  });
});
