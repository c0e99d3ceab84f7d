import { jsonDepthExceeds } from '../../formats/depth';
import { maskText, type Scanner } from './scanner';

/** One text the guard looks at. */
export interface GuardSlot {
  /** Machine path (`messages[1].content`, `content[0].text`): sent to the webhook. */
  readonly path: string;
  /** How errors name the place; the path when absent. */
  readonly where?: string;
  readonly text: string;
  /** JSON text (tool-call arguments): scanned and masked in its string values only. */
  readonly json?: boolean;
}

/** Which detector or pattern matched, and where: never what it matched. */
export interface Finding {
  readonly name: string;
  readonly places: readonly string[];
}

export type LocalVerdict =
  | { kind: 'clean' }
  | { kind: 'reject'; findings: Finding[] }
  /** `texts[i]` replaces `slots[i].text` (unchanged where nothing matched). */
  | { kind: 'masked'; texts: string[]; findings: Finding[] };

/** The built-in detectors' and patterns' verdict on a set of texts: pure. */
export function inspectSlots(
  scanner: Scanner,
  action: 'Mask' | 'Reject',
  slots: readonly GuardSlot[],
): LocalVerdict {
  const found = new Map<string, string[]>();
  const texts = slots.map((slot) => {
    const r = scanSlot(scanner, slot, action === 'Mask');
    const place = slot.where ?? slot.path;
    for (const name of r.names) {
      const places = found.get(name) ?? [];
      if (!places.includes(place)) places.push(place);
      found.set(name, places);
    }
    return r.text;
  });
  if (found.size === 0) return { kind: 'clean' };
  const findings = [...found].map(([name, places]) => ({ name, places }));
  return action === 'Reject' ? { kind: 'reject', findings } : { kind: 'masked', texts, findings };
}

function scanSlot(scanner: Scanner, slot: GuardSlot, mask: boolean): { names: string[]; text: string } {
  const names: string[] = [];
  const one = (s: string) => {
    const spans = scanner.scan(s);
    for (const span of spans) names.push(span.name);
    return mask && spans.length > 0 ? maskText(s, spans) : s;
  };
  if (slot.json) {
    const parsed = parseJson(slot.text);
    if (parsed.ok) {
      const mapped = mapStrings(parsed.value, one);
      return { names, text: mask && names.length > 0 ? JSON.stringify(mapped) : slot.text };
    }
  }
  return { names, text: one(slot.text) };
}

export function parseJson(text: string): { ok: true; value: unknown } | { ok: false } {
  try {
    const value = JSON.parse(text) as unknown;
    // Nested past what a request may carry: scanned as plain text, never walked recursively.
    return jsonDepthExceeds(text) ? { ok: false } : { ok: true, value };
  } catch {
    return { ok: false }; // models do emit broken JSON: it is then scanned as plain text
  }
}

/** Applies `fn` to every string value (not keys) of a JSON value. */
function mapStrings(v: unknown, fn: (s: string) => string): unknown {
  if (typeof v === 'string') return fn(v);
  if (Array.isArray(v)) return v.map((x) => mapStrings(x, fn));
  if (typeof v === 'object' && v !== null) {
    // No prototype: a `__proto__` key stays a key.
    const out = Object.create(null) as Record<string, unknown>;
    for (const [k, x] of Object.entries(v)) out[k] = mapStrings(x, fn);
    return out;
  }
  return v;
}

/** `Email in messages[1].content; CreditCard in messages[0].content, …`: at most 3 places a name. */
export function describeFindings(findings: readonly Finding[]): string {
  return findings
    .map((f) => {
      const shown = f.places.slice(0, 3).join(', ');
      const more = f.places.length > 3 ? ` and ${f.places.length - 3} more` : '';
      return `${f.name} in ${shown}${more}`;
    })
    .join('; ');
}
