import { GUARD_PATTERN_FLAGS, type CompiledPromptGuard } from '@tollgate/protocol';
import { BUILT_IN, patternDetector, type Detector, type Span } from './detectors';

/** Every detector of one guard config, built once per config snapshot. */
export interface Scanner {
  /** The spans found in `text`, in order, with spans inside another detector's span dropped. */
  scan(text: string): Span[];
}

/** Throws a SyntaxError for a pattern that does not compile (compile makes sure none reaches here). */
export function createScanner(config: Pick<CompiledPromptGuard, 'detectors' | 'patterns'>): Scanner {
  const detectors: Detector[] = [
    ...config.detectors.map((d) => BUILT_IN[d]),
    ...config.patterns.map((p) => patternDetector(p.name, new RegExp(p.regex, GUARD_PATTERN_FLAGS))),
  ];
  return {
    scan(text) {
      if (text.length === 0 || detectors.length === 0) return [];
      const all: Span[] = [];
      for (const d of detectors) for (const s of d.find(text)) all.push(s);
      return resolveSpans(all);
    },
  };
}

/**
 * Sorted by start, longer first; a span wholly inside an earlier one is dropped (the digits of an
 * IBAN are not also a phone number), so it is neither masked twice nor reported.
 */
export function resolveSpans(spans: Span[]): Span[] {
  const sorted = [...spans].sort((a, b) => a.start - b.start || b.end - a.end);
  const out: Span[] = [];
  let reach = -1;
  for (const s of sorted) {
    if (s.end <= reach) continue;
    out.push(s);
    reach = s.end;
  }
  return out;
}

/**
 * Replaces each span by its label in brackets; overlapping spans merge into one, labelled by the
 * span that starts first. Adjacent spans stay apart (`[EMAIL][PHONE]`).
 */
export function maskText(text: string, spans: readonly Span[]): string {
  if (spans.length === 0) return text;
  let out = '';
  let at = 0;
  let current: { start: number; end: number; label: string } | undefined;
  for (const s of spans) {
    if (current && s.start < current.end) {
      current.end = Math.max(current.end, s.end);
      continue;
    }
    if (current) {
      out += `${text.slice(at, current.start)}[${current.label}]`;
      at = current.end;
    }
    current = { start: s.start, end: s.end, label: s.label };
  }
  if (current) out += `${text.slice(at, current.start)}[${current.label}]`;
  return out + text.slice(current ? current.end : at);
}
