import type { Condition } from '../api/v1alpha1';

/** The conditions `Ready` sums up, in the order their problems are reported. */
export const SUMMARISED = ['Accepted', 'ResolvedRefs', 'Programmed'] as const;

/**
 * `Ready`: True when Accepted, ResolvedRefs and Programmed all are. Otherwise False (Unknown when
 * nothing is False, only unknown or missing), with the reason of the first condition that is not
 * True and every such condition's message: `kubectl get` shows it in the Ready and Reason columns.
 */
export function readyCondition(conditions: readonly Condition[], generation: number): Condition {
  const notTrue: Condition[] = [];
  for (const type of SUMMARISED) {
    const c = conditions.find((x) => x.type === type);
    if (!c) {
      notTrue.push({
        type,
        status: 'Unknown',
        reason: 'Pending',
        message: 'not reported yet',
        observedGeneration: generation,
      });
    } else if (c.status !== 'True') notTrue.push(c);
  }
  const first = notTrue[0];
  if (!first) {
    return {
      type: 'Ready',
      status: 'True',
      reason: 'Ready',
      message: 'accepted, all references resolved, and programmed',
      observedGeneration: generation,
    };
  }
  return {
    type: 'Ready',
    status: notTrue.some((c) => c.status === 'False') ? 'False' : 'Unknown',
    reason: first.reason,
    message: notTrue.map((c) => `${c.type}=${c.status}: ${c.message}`).join('; '),
    observedGeneration: generation,
  };
}
