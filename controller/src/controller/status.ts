import type { Condition, Status } from '../api/v1alpha1';

const OURS = new Set(['Accepted', 'ResolvedRefs', 'Programmed', 'Ready']);

/**
 * The status to write, or undefined when the object already says this. Conditions of other types
 * are kept; `lastTransitionTime` moves only when a condition's status flips.
 */
export function nextStatus(
  current: Status | undefined,
  desired: readonly Condition[],
  generation: number,
  now: string,
): Status | undefined {
  const previous = new Map((current?.conditions ?? []).map((c) => [c.type, c]));
  const conditions: Condition[] = (current?.conditions ?? []).filter((c) => !OURS.has(c.type));
  for (const d of desired) {
    const p = previous.get(d.type);
    conditions.push({
      ...d,
      lastTransitionTime: p && p.status === d.status && p.lastTransitionTime ? p.lastTransitionTime : now,
    });
  }
  const next: Status = { observedGeneration: generation, conditions };
  return sameStatus(current, next) ? undefined : next;
}

function sameStatus(a: Status | undefined, b: Status): boolean {
  if (!a || a.observedGeneration !== b.observedGeneration) return false;
  const strip = (s: Status) =>
    JSON.stringify(
      (s.conditions ?? [])
        .map(({ type, status, reason, message, observedGeneration, lastTransitionTime }) => ({
          type,
          status,
          reason,
          message,
          observedGeneration,
          lastTransitionTime,
        }))
        .sort((x, y) => (x.type < y.type ? -1 : 1)),
    );
  return strip(a) === strip(b);
}
