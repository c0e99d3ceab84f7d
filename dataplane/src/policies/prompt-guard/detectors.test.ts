import { ibanChecksumValid, luhnValid } from './checksums';
import { BUILT_IN, labelOf, patternDetector } from './detectors';
import { createScanner, maskText, resolveSpans } from './scanner';

const found = (detector: keyof typeof BUILT_IN, text: string) =>
  BUILT_IN[detector].find(text).map((s) => text.slice(s.start, s.end));

describe('built-in detectors: what they find (exact spans)', () => {
  it.each([
    ['Email', 'mail john.doe@example.com now', ['john.doe@example.com']],
    ['Email', 'a+tag@sub.example.co.uk.', ['a+tag@sub.example.co.uk']],
    ['Email', 'x_y-z@my-domain.io, o’brien@example.org', ['x_y-z@my-domain.io', 'brien@example.org']],
    ['Phone', '+1 415 555 2671', ['+1 415 555 2671']],
    ['Phone', 'E.164: +14155552671.', ['+14155552671']],
    ['Phone', 'US (415) 555-2671', ['(415) 555-2671']],
    ['Phone', '415-555-2671 / 415.555.2671', ['415-555-2671', '415.555.2671']],
    ['Phone', '+44 20 7946 0958 or 020 7946 0958', ['+44 20 7946 0958', '020 7946 0958']],
    ['Phone', '+49 (0)30 123456, 030/1234567', ['+49 (0)30 123456', '030/1234567']],
    ['Phone', '0044 20 7946 0958', ['0044 20 7946 0958']],
    ['Phone', '+33 1 23 45 67 89 and 01 23 45 67 89', ['+33 1 23 45 67 89', '01 23 45 67 89']],
    ['Phone', '+1 (415) 555-2671', ['+1 (415) 555-2671']],
    // a neighbouring number joined by another separator is not part of it
    ['Phone', 'call 415-555-2671 12 times', ['415-555-2671']],
    ['CreditCard', 'card 4111 1111 1111 1111 exp', ['4111 1111 1111 1111']],
    ['CreditCard', '4111-1111-1111-1111', ['4111-1111-1111-1111']],
    ['CreditCard', '5555555555554444', ['5555555555554444']],
    ['CreditCard', 'amex 3782 822463 10005', ['3782 822463 10005']],
    ['CreditCard', 'visa13 4222222222222', ['4222222222222']],
    [
      'CreditCard',
      'discover 6011111111111117; 19 digits 6011000990139424009',
      ['6011111111111117', '6011000990139424009'],
    ],
    ['SSN', 'ssn 123-45-6789.', ['123-45-6789']],
    ['SSN', '078-05-1120', ['078-05-1120']],
    ['IBAN', 'DE89 3704 0044 0532 0130 00', ['DE89 3704 0044 0532 0130 00']],
    ['IBAN', 'iban:DE89370400440532013000', ['DE89370400440532013000']],
    ['IBAN', 'GB82 WEST 1234 5698 7654 32 THEN MORE', ['GB82 WEST 1234 5698 7654 32']],
    ['IBAN', 'fr14 2004 1010 0505 0001 3m02 606', ['fr14 2004 1010 0505 0001 3m02 606']],
    ['IBAN', 'NL91ABNA0417164300 and CH9300762011623852957', ['NL91ABNA0417164300', 'CH9300762011623852957']],
    [
      'IBAN',
      'DE89 3704 0044 0532 0130 00 GB82 WEST 1234 5698 7654 32',
      ['DE89 3704 0044 0532 0130 00', 'GB82 WEST 1234 5698 7654 32'],
    ],
  ] as const)('%s in %j', (detector, text, expected) => {
    expect(found(detector, text)).toEqual(expected);
  });
});

describe('built-in detectors: near misses they leave alone', () => {
  it.each([
    ['Email', 'john@localhost'],
    ['Email', 'john@.com'],
    ['Email', '@example.com'],
    ['Email', 'john..doe@example.com'],
    ['Email', 'user@example.c0m'],
    ['Phone', 'plain 4155552671'],
    ['Phone', 'order 12345678'],
    ['Phone', 'dates 2024-01-15, 15.01.2024, 01/15/2024, 2024-01-15 10:30'],
    ['Phone', 'ip 192.168.100.200'],
    ['Phone', 'pop 1 234 567 and 12.345.678'],
    ['Phone', 'ssn 123-45-6789'],
    ['Phone', 'zip 94105-1234'],
    ['Phone', 'pi 3.14159265, build 10.0.19045'],
    ['Phone', 'card 4111 1111 1111 1111'],
    ['Phone', 'time 12:30:45'],
    ['Phone', 'ISBN 978-3-16-148410-0'],
    ['Phone', 'local 555-1234'],
    ['Phone', 'iban DE89 3704 0044 0532 0130 00'],
    ['Phone', 'url https://x.example/415-555-2671'],
    ['Phone', 'a+14155552671'],
    ['CreditCard', 'Luhn-invalid 4111 1111 1111 1112'],
    ['CreditCard', 'Luhn-invalid 4111111111111112'],
    ['CreditCard', 'placeholder 0000 0000 0000 0000'],
    ['CreditCard', 'mixed separators 4111 1111-1111 1111'],
    ['CreditCard', 'longer number 41111111111111110'],
    ['CreditCard', '20 digits 41111111111111111111'],
    ['CreditCard', 'not a card network 9111111111111110'],
    ['CreditCard', 'too short 411111111111'],
    ['SSN', 'area 000-12-3456'],
    ['SSN', 'area 666-12-3456'],
    ['SSN', 'area 900-12-3456 and 999-12-3456'],
    ['SSN', 'group 123-00-4567'],
    ['SSN', 'serial 123-45-0000'],
    ['SSN', 'longer 1123-45-6789 and 123-45-67890'],
    ['SSN', 'undashed 123456789'],
    ['IBAN', 'bad checksum DE89 3704 0044 0532 0130 01'],
    ['IBAN', 'bad checksum GB82WEST12345698765433'],
    ['IBAN', 'no such country XX89370400440532013000'],
    ['IBAN', 'wrong length DE89370400440532013'],
    ['IBAN', 'embedded ABCDE89370400440532013000'],
  ] as const)('%s: %j', (detector, text) => {
    expect(found(detector, text)).toEqual([]);
  });
});

describe('check digits', () => {
  it('Luhn', () => {
    expect(luhnValid('79927398713')).toBe(true);
    expect(luhnValid('79927398710')).toBe(false);
    expect(luhnValid('')).toBe(false);
    expect(luhnValid('12a4')).toBe(false);
  });

  it('IBAN mod 97', () => {
    expect(ibanChecksumValid('GB82WEST12345698765432')).toBe(true);
    expect(ibanChecksumValid('GB82WEST12345698765423')).toBe(false);
    expect(ibanChecksumValid('gb82WEST12345698765432')).toBe(false); // callers upper-case first
  });
});

describe('user patterns', () => {
  it('labels masks by the upper-cased name', () => {
    expect(labelOf('employee-id')).toBe('EMPLOYEE_ID');
    const d = patternDetector('ticket', /T-[0-9]+/gu);
    expect(d.find('see T-12 and T-345').map((s) => [s.start, s.end, s.name, s.label])).toEqual([
      [4, 8, 'ticket', 'TICKET'],
      [13, 18, 'ticket', 'TICKET'],
    ]);
  });

  it('steps over empty matches (even past astral characters) instead of looping or masking them', () => {
    const d = patternDetector('b', /(?=😀)|x/gu);
    expect(d.find('😀 x').map((s) => s.start)).toEqual([3]);
  });

  it('is independent between calls (shared lastIndex is reset)', () => {
    const d = patternDetector('n', /n/gu);
    expect(d.find('nnn')).toHaveLength(3);
    expect(d.find('n')).toHaveLength(1);
  });
});

describe('scanner and masking', () => {
  const scanner = createScanner({
    detectors: ['Email', 'Phone', 'CreditCard', 'SSN', 'IBAN'],
    patterns: [{ name: 'employee-id', regex: 'EMP-[0-9]{4}' }],
  });
  const mask = (text: string) => maskText(text, scanner.scan(text));

  it('masks each kind with its label and leaves the rest as it is', () => {
    expect(
      mask(
        'Mail jane@example.com or call +1 415 555 2671; card 4111 1111 1111 1111, SSN 123-45-6789, ' +
          'IBAN DE89 3704 0044 0532 0130 00, badge EMP-0042.',
      ),
    ).toBe('Mail [EMAIL] or call [PHONE]; card [CREDIT_CARD], SSN [SSN], IBAN [IBAN], badge [EMPLOYEE_ID].');
  });

  it('does not also report the digits inside an IBAN as a phone', () => {
    const names = scanner.scan('pay DE89 3704 0044 0532 0130 00').map((s) => s.name);
    expect(names).toEqual(['IBAN']);
  });

  it('merges overlapping spans under the first one’s label; adjacent spans stay apart', () => {
    const spans = [
      { start: 0, end: 5, name: 'A', label: 'A' },
      { start: 3, end: 9, name: 'B', label: 'B' },
      { start: 9, end: 11, name: 'C', label: 'C' },
    ];
    expect(maskText('0123456789ab', resolveSpans(spans))).toBe('[A][C]b');
  });

  it('drops spans inside an earlier one, keeps partial overlaps', () => {
    const spans = [
      { start: 2, end: 4, name: 'inner', label: 'I' },
      { start: 0, end: 6, name: 'outer', label: 'O' },
      { start: 5, end: 8, name: 'overlap', label: 'P' },
    ];
    expect(resolveSpans(spans).map((s) => s.name)).toEqual(['outer', 'overlap']);
  });

  it('stays fast on hostile input (bounded, linear-time candidates)', () => {
    const hostile = [
      '1'.repeat(200_000),
      '1-'.repeat(100_000),
      '1 '.repeat(100_000),
      'a'.repeat(100_000) + '@' + 'b'.repeat(100_000),
      'a.'.repeat(100_000) + '@',
      ('x@' + 'a-'.repeat(30)).repeat(2000),
      'DE89 '.repeat(40_000),
      '(1'.repeat(100_000),
      '+1'.repeat(100_000),
    ];
    const started = performance.now();
    for (const text of hostile) scanner.scan(text);
    expect(performance.now() - started).toBeLessThan(3000);
  });
});
