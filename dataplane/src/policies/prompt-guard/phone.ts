/**
 * Phone numbers: the hardest detector to keep quiet, since any run of digits could be one. A
 * candidate is digit groups with single separators (space . / -), an optional international prefix
 * (`+` or `00`) and an optional parenthesised area code or trunk (`(415)`, `(0)`); `phoneLength`
 * then decides:
 *
 * - international (`+…`, or `00…` with separators): 7–15 digits (E.164), not starting with 0;
 * - national: 7–12 digits in at least two groups of at least two digits, and shaped like a phone
 *   number rather than something else: a parenthesised area code, a leading trunk `0`, or at least
 *   three groups. Plain digit runs (IDs, card numbers), dates (`2024-01-15`, `15.01.2024`), IPv4
 *   addresses, thousands grouping (`1 234 567`), SSNs (`123-45-6789`) and decimals are not phones.
 */

/**
 * Candidate runs: never inside a word, an e-mail address, a path, a version or a time (lookbehind),
 * never ending just before more digits (lookahead), so a longer number is not cut into a phone.
 * Every repetition is bounded: no input makes it backtrack more than linearly.
 */
export const PHONE_CANDIDATE =
  /(?<![\w@+./:-])(?:(?:\+|00)\d{1,4}[ ./-]?)?(?:\(\d{1,5}\)[ ./-]?)?\d{1,15}(?:[ ./-]\d{1,15}){0,7}(?![\w@]|[ .,:/-]?\d)/g;

interface Group {
  digits: string;
  /** End offset in the candidate. */
  end: number;
}

/** The length of the leading part of `candidate` that is a phone number, or undefined. */
export function phoneLength(candidate: string): number | undefined {
  const international = candidate.startsWith('+') || candidate.startsWith('00');
  const prefix = candidate.startsWith('+') ? 1 : candidate.startsWith('00') ? 2 : 0;
  const { groups, seps } = split(candidate, prefix);
  trimStray(groups, seps);
  const last = groups[groups.length - 1];
  if (!last) return undefined;
  const digits = groups.map((g) => g.digits).join('');
  const paren = seps.some((s) => s.includes('(') || s.includes(')')) || candidate[prefix] === '(';
  if (international) {
    if (digits.length < 7 || digits.length > 15 || digits.startsWith('0')) return undefined;
    // `00` followed by a bare digit run is more likely an ID than a dialled number.
    if (prefix === 2 && seps.length === 0) return undefined;
    return last.end;
  }
  if (digits.length < 7 || digits.length > 12 || groups.length < 2) return undefined;
  if (groups.some((g) => g.digits.length < 2)) return undefined;
  const lens = groups.map((g) => g.digits.length);
  // Spaces trimmed: a separator is then '' (space), '-', '.', '/' or one with a parenthesis.
  const plain = seps.map((s) => s.trim());
  if (isDate(lens) || isIp(lens, plain) || isThousands(groups, plain) || isSsn(lens, plain)) return undefined;
  const trunk = (groups[0] as Group).digits.startsWith('0');
  if (!paren && !trunk && groups.length < 3) return undefined;
  return last.end;
}

/** Digit groups and the separators between them (`) `, ` (`, `-`, …), after the prefix. */
function split(candidate: string, prefix: number): { groups: Group[]; seps: string[] } {
  const groups: Group[] = [];
  const seps: string[] = [];
  const re = /\d+/g;
  re.lastIndex = prefix;
  let prevEnd = -1;
  for (let m = re.exec(candidate); m !== null; m = re.exec(candidate)) {
    if (prevEnd >= 0) seps.push(candidate.slice(prevEnd, m.index));
    prevEnd = m.index + m[0].length;
    groups.push({ digits: m[0], end: prevEnd });
  }
  return { groups, seps };
}

/**
 * A last group joined by another separator than the two before it (`415-555-2671 12`) is a
 * neighbouring number, not part of the phone.
 */
function trimStray(groups: Group[], seps: string[]): void {
  const n = seps.length;
  if (n >= 3 && seps[n - 2] === seps[n - 3] && seps[n - 1] !== seps[n - 2]) {
    groups.pop();
    seps.pop();
  }
}

const isDate = (lens: number[]) =>
  lens.length === 3 &&
  ((lens[0] === 4 && (lens[1] as number) <= 2 && (lens[2] as number) <= 2) ||
    (lens[2] === 4 && (lens[0] as number) <= 2 && (lens[1] as number) <= 2));

const isIp = (lens: number[], seps: string[]) =>
  lens.length === 4 && seps.every((s) => s === '.') && lens.every((l) => l <= 3);

/** `1 234 567`, `12.345.678`: a number grouped by thousands. */
const isThousands = (groups: Group[], seps: string[]) => {
  const first = (groups[0] as Group).digits;
  return (
    (seps.every((s) => s === '') || seps.every((s) => s === '.')) &&
    seps.length > 0 &&
    first.length <= 3 &&
    !first.startsWith('0') &&
    groups.slice(1).every((g) => g.digits.length === 3)
  );
};

const isSsn = (lens: number[], seps: string[]) =>
  lens.length === 3 && lens[0] === 3 && lens[1] === 2 && lens[2] === 4 && seps.every((s) => s === '-');
