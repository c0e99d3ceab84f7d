import type { GuardDetector } from '@tollgate/protocol';
import { IBAN_LENGTHS, ibanChecksumValid, luhnValid } from './checksums';
import { PHONE_CANDIDATE, phoneLength } from './phone';

/** Where a detector matched: `[start, end)` in UTF-16 code units. */
export interface Span {
  start: number;
  end: number;
  /** Reported in errors and to operators: the detector (`Email`) or the pattern's name. */
  name: string;
  /** What a masked span becomes: `[EMAIL]`, `[EMPLOYEE_ID]`. */
  label: string;
}

/** Finds spans in a text; pure, synchronous, linear in the text (built-ins) or as the user wrote it. */
export interface Detector {
  readonly name: string;
  find(text: string): Span[];
}

/**
 * A regex finds candidates, `accept` says how long the leading part of a candidate that is a match
 * is. A refused candidate is skipped whole (`skipRefused`: its tail is no better) or only its first
 * character (its tail may hold a match, as with letters that run into a following IBAN).
 */
function validated(
  name: string,
  label: string,
  candidate: RegExp,
  accept: (m: string) => number | undefined,
  hint: (text: string) => boolean,
  skipRefused = true,
): Detector {
  return {
    name,
    find(text) {
      if (!hint(text)) return [];
      // Shared by every request; safe because a scan never yields between reset and last exec.
      const re = candidate;
      re.lastIndex = 0;
      const out: Span[] = [];
      for (let m = re.exec(text); m !== null; m = re.exec(text)) {
        const length = accept(m[0]);
        if (length !== undefined && length > 0) {
          out.push({ start: m.index, end: m.index + length, name, label });
          re.lastIndex = m.index + length;
        } else {
          re.lastIndex = skipRefused ? m.index + m[0].length : m.index + 1;
        }
      }
      return out;
    },
  };
}

const hasDigit = (t: string) => /\d/.test(t);

const ATEXT = "A-Za-z0-9!#$%&'*+/=?^_`{|}~-";
/**
 * The dot-atom form of RFC 5322 (what addresses look like in practice; no quoted local parts, no
 * IP-literal domains) with a DNS domain: labels of up to 63 letters, digits and inner hyphens, and
 * an alphabetic top-level label.
 */
const EMAIL = new RegExp(
  `(?<![.${ATEXT}])[${ATEXT}]+(?:\\.[${ATEXT}]+)*@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\\.)+[A-Za-z]{2,63}(?![A-Za-z0-9-])`,
  'g',
);

/** 13–19 digits, optionally in groups split by spaces or dashes (one kind), never within a longer number. */
const CARD = /(?<![\w-])\d(?:[ -]?\d){12,18}(?![\w]|[ -]?\d)/g;

function cardLength(m: string): number | undefined {
  const digits = m.replace(/[ -]/g, '');
  if (m.includes(' ') && m.includes('-')) return undefined;
  // Major networks start with 2–6 (Mastercard, Amex/Diners/JCB, Visa, Mastercard, Discover/UnionPay);
  // a single repeated digit (0000…) passes Luhn but is a placeholder.
  if (!/^[2-6]/.test(digits) || /^(\d)\1+$/.test(digits)) return undefined;
  return luhnValid(digits) ? m.length : undefined;
}

/** US SSN `AAA-GG-SSSS`; only the dashed form: nine bare digits are anything. */
const SSN = /(?<![\w-])(\d{3})-(\d{2})-(\d{4})(?![\w]|-\d)/g;

function ssnLength(m: string): number | undefined {
  const [area, group, serial] = m.split('-') as [string, string, string];
  // Never issued: area 000, 666 and 900–999; group 00; serial 0000.
  if (area === '000' || area === '666' || area.startsWith('9')) return undefined;
  if (group === '00' || serial === '0000') return undefined;
  return m.length;
}

/** Country code, check digits, then the BBAN compact or in groups (spaces anywhere, as people write it). */
const IBAN = /(?<![A-Za-z0-9])[A-Za-z]{2}\d{2}(?: ?[A-Za-z0-9]){11,30}(?![A-Za-z0-9])/g;

function ibanLength(m: string): number | undefined {
  const country = m.slice(0, 2).toUpperCase();
  const want = IBAN_LENGTHS[country];
  if (want === undefined) return undefined;
  // The candidate may run into the next word ("… 0130 00 THEN"): take exactly the country's length.
  let taken = 0;
  let end = 0;
  while (end < m.length && taken < want) {
    if (m[end] !== ' ') taken++;
    end++;
  }
  if (taken < want || /[A-Za-z0-9]/.test(m[end] ?? '')) return undefined;
  return ibanChecksumValid(m.slice(0, end).replace(/ /g, '').toUpperCase()) ? end : undefined;
}

export const BUILT_IN: Readonly<Record<GuardDetector, Detector>> = {
  Email: validated(
    'Email',
    'EMAIL',
    EMAIL,
    (m) => m.length,
    (t) => t.includes('@'),
  ),
  Phone: validated('Phone', 'PHONE', PHONE_CANDIDATE, phoneLength, hasDigit),
  CreditCard: validated('CreditCard', 'CREDIT_CARD', CARD, cardLength, hasDigit),
  SSN: validated('SSN', 'SSN', SSN, ssnLength, (t) => t.includes('-')),
  IBAN: validated('IBAN', 'IBAN', IBAN, ibanLength, hasDigit, false),
};

/** `employee-id` → `EMPLOYEE_ID`: the label a user pattern masks with. */
export function labelOf(name: string): string {
  return name.toUpperCase().replace(/[^A-Z0-9]+/g, '_');
}

/**
 * A user pattern, compiled once per config (with GUARD_PATTERN_FLAGS; the `g` flag is required).
 * Empty matches, which compile refuses but an assertion-only branch could still produce, are
 * stepped over rather than masked.
 */
export function patternDetector(name: string, regex: RegExp): Detector {
  const label = labelOf(name);
  return {
    name,
    find(text) {
      const re = regex;
      re.lastIndex = 0;
      const out: Span[] = [];
      for (let m = re.exec(text); m !== null; m = re.exec(text)) {
        if (m[0].length === 0) {
          re.lastIndex = m.index + ((text.codePointAt(m.index) ?? 0) > 0xffff ? 2 : 1);
          continue;
        }
        out.push({ start: m.index, end: m.index + m[0].length, name, label });
      }
      return out;
    },
  };
}
