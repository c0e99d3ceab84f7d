import type { Condition } from '../api/v1alpha1';
import { readyCondition } from './ready';

const cond = (
  type: string,
  status: Condition['status'],
  reason = type,
  message = `${type} ${status}`,
): Condition => ({
  type,
  status,
  reason,
  message,
  observedGeneration: 3,
});

describe('readyCondition', () => {
  it('is True when Accepted, ResolvedRefs and Programmed all are', () => {
    const ready = readyCondition(
      [cond('Accepted', 'True'), cond('ResolvedRefs', 'True'), cond('Programmed', 'True')],
      3,
    );
    expect(ready).toEqual({
      type: 'Ready',
      status: 'True',
      reason: 'Ready',
      message: 'accepted, all references resolved, and programmed',
      observedGeneration: 3,
    });
  });

  it('is False with the first failing reason when references do not resolve, though the object is accepted and programmed', () => {
    const ready = readyCondition(
      [
        cond('Accepted', 'True'),
        cond(
          'ResolvedRefs',
          'False',
          'RefNotFound',
          "spec.routes[0].targets[0].registryRef: Registry 'typo' not found",
        ),
        cond('Programmed', 'True'),
      ],
      3,
    );
    expect(ready).toMatchObject({ status: 'False', reason: 'RefNotFound', observedGeneration: 3 });
    expect(ready.message).toBe(
      "ResolvedRefs=False: spec.routes[0].targets[0].registryRef: Registry 'typo' not found",
    );
  });

  it('lists every condition that is not True, in order, and takes the reason of the first', () => {
    const ready = readyCondition(
      [
        cond('Programmed', 'False', 'Invalid', 'not served'),
        cond('ResolvedRefs', 'True'),
        cond('Accepted', 'False', 'Invalid', 'spec.slug: bad'),
      ],
      3,
    );
    expect(ready).toMatchObject({
      status: 'False',
      reason: 'Invalid',
      message: 'Accepted=False: spec.slug: bad; Programmed=False: not served',
    });
  });

  it('is Unknown when nothing is False but a condition is unknown or missing', () => {
    expect(readyCondition([cond('Accepted', 'True'), cond('ResolvedRefs', 'True')], 3)).toMatchObject({
      status: 'Unknown',
      reason: 'Pending',
      message: 'Programmed=Unknown: not reported yet',
    });
    expect(
      readyCondition(
        [cond('Accepted', 'True'), cond('ResolvedRefs', 'Unknown'), cond('Programmed', 'False')],
        3,
      ).status,
    ).toBe('False');
  });

  it('ignores conditions it does not sum up', () => {
    const all = [cond('Accepted', 'True'), cond('ResolvedRefs', 'True'), cond('Programmed', 'True')];
    expect(readyCondition([...all, cond('Degraded', 'False')], 3).status).toBe('True');
  });
});
