import type { V1Lease } from '@kubernetes/client-node';
import { decideLease } from './lease';

const NOW = Date.parse('2026-11-25T12:00:00Z');
const lease = (holder: string | undefined, renewedSecondsAgo: number, duration = 15): V1Lease => ({
  spec: {
    holderIdentity: holder,
    renewTime: new Date(NOW - renewedSecondsAgo * 1000),
    leaseDurationSeconds: duration,
  },
});

describe('decideLease', () => {
  it.each([
    ['no lease yet', undefined, 'create'],
    ['we hold it', lease('me', 3), 'renew'],
    ['we hold it even if it lapsed', lease('me', 60), 'renew'],
    ['another replica holds a live lease', lease('other', 3), 'follow'],
    ['the holder stopped renewing', lease('other', 16), 'takeover'],
    ['the holder released it', lease(undefined, 0), 'takeover'],
  ])('%s', (_name, l, action) => {
    expect(decideLease(l, 'me', NOW)).toBe(action);
  });
});
