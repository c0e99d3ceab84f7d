import type { Condition } from '../api/v1alpha1';
import { nextStatus } from './status';

const cond = (type: string, status: Condition['status'], reason = type): Condition => ({
  type,
  status,
  reason,
  message: `${type} ${status}`,
  observedGeneration: 2,
});

describe('nextStatus', () => {
  const T0 = '2026-01-01T00:00:00Z';
  const T1 = '2026-01-01T00:01:00Z';

  it('writes a first status with transition times', () => {
    const next = nextStatus(undefined, [cond('Accepted', 'True')], 2, T0);
    expect(next).toEqual({
      observedGeneration: 2,
      conditions: [{ ...cond('Accepted', 'True'), lastTransitionTime: T0 }],
    });
  });

  it('writes nothing when the object already says the same', () => {
    const first = nextStatus(undefined, [cond('Accepted', 'True'), cond('Programmed', 'True')], 2, T0);
    expect(nextStatus(first, [cond('Accepted', 'True'), cond('Programmed', 'True')], 2, T1)).toBeUndefined();
  });

  it('moves lastTransitionTime only for the condition that flipped, and keeps foreign conditions', () => {
    const first = nextStatus(
      undefined,
      [cond('Accepted', 'True'), cond('Programmed', 'False', 'Pending')],
      2,
      T0,
    );
    const current = { ...first, conditions: [...(first?.conditions ?? []), cond('Healthy', 'True')] };
    const next = nextStatus(current, [cond('Accepted', 'True'), cond('Programmed', 'True')], 2, T1);
    const byType = new Map(next?.conditions?.map((c) => [c.type, c]));
    expect(byType.get('Accepted')?.lastTransitionTime).toBe(T0);
    expect(byType.get('Programmed')).toMatchObject({ status: 'True', lastTransitionTime: T1 });
    expect(byType.get('Healthy')).toEqual(cond('Healthy', 'True'));
  });

  it('writes when only observedGeneration or a message changed', () => {
    const first = nextStatus(undefined, [cond('Accepted', 'True')], 2, T0);
    expect(nextStatus(first, [cond('Accepted', 'True')], 3, T1)?.observedGeneration).toBe(3);
    const changed = { ...cond('Accepted', 'True'), message: 'other' };
    expect(nextStatus(first, [changed], 2, T1)?.conditions?.[0]).toMatchObject({
      message: 'other',
      lastTransitionTime: T0,
    });
  });
});
