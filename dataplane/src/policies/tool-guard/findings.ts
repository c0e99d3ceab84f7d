import type { HiddenKind } from './detectors';

/** Findings about a tool's pin: changed since pinned, not declared, no room to pin, not hashable. */
export type PinKind = 'rugPull' | 'undeclared' | 'pinLimit' | 'malformed';
export type FindingKind = PinKind | HiddenKind;

export const FINDING_KINDS: readonly FindingKind[] = [
  'rugPull',
  'undeclared',
  'pinLimit',
  'malformed',
  'hiddenInstruction',
  'sensitivePath',
  'instructionTag',
  'invisibleCharacters',
  'unlistedUrl',
  'encodedBlob',
];

/**
 * What was done about a finding: `blocked` (the tool was removed from a list, Enforce), `reported`
 * (Observe, or a hidden-instruction finding on a tool whose fingerprint is declared), `refused` (a
 * call to a blocked tool was refused).
 */
export type FindingAction = 'blocked' | 'reported' | 'refused';

export interface Finding {
  readonly kind: FindingKind;
  /** The tool's name as the client sees it. */
  readonly tool: string;
  /** Where in the definition: `description`, `inputSchema.properties.path.description`, `fingerprint`. */
  readonly where: string;
  /** A short excerpt (at most ~100 characters; invisible and control characters written as `\u{…}`). */
  readonly excerpt: string;
  /** The tool's fingerprint as seen (absent when it could not be computed). */
  readonly fingerprint?: string;
  /** Hits of this kind in this place (one finding per tool, kind and place). */
  readonly count: number;
  readonly action: Exclude<FindingAction, 'refused'>;
}

/** Receives every finding and every refused call: metrics and logs (tests pass their own). */
export type FindingSink = (finding: Finding, action: FindingAction, policy: string) => void;

const EXCERPT_CONTEXT = 24;
const EXCERPT_MATCH = 60;

/** `text[start, end)` with a little context, on one line, with hidden characters made visible. */
export function excerpt(text: string, start: number, end: number): string {
  const from = Math.max(0, start - EXCERPT_CONTEXT);
  const match = text.slice(start, Math.min(end, start + EXCERPT_MATCH));
  const cut = end - start > EXCERPT_MATCH ? '…' : '';
  const after = text.slice(end, Math.min(text.length, end + EXCERPT_CONTEXT));
  const raw = `${from > 0 ? '…' : ''}${text.slice(from, start)}${match}${cut}${after}${end + EXCERPT_CONTEXT < text.length ? '…' : ''}`;
  return visible(raw);
}

/** Control, zero-width, directional and tag characters as `\u{hex}`; line breaks as spaces. */
export function visible(s: string): string {
  return s
    .replace(/[\r\n\t]/g, ' ')
    .replace(
      /[\p{Cc}\u00AD\u200B-\u200F\u202A-\u202E\u2060-\u2064\u2066-\u2069\uFEFF\u{E0000}-\u{E007F}]/gu,
      (c) => `\\u{${(c.codePointAt(0) ?? 0).toString(16)}}`,
    );
}
