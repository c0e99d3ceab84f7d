import { periodOf, periodsOf } from './period';

const at = (iso: string) => Date.parse(iso);
const span = (period: Parameters<typeof periodOf>[0], iso: string) => {
  const p = periodOf(period, at(iso));
  return [p.id, new Date(p.startMs).toISOString(), new Date(p.endMs).toISOString()];
};

describe('periodOf: calendar periods in UTC', () => {
  it.each<[Parameters<typeof periodOf>[0], string, string, string, string]>([
    [
      'Hour',
      '2024-03-10T13:59:59.999Z',
      'H2024-03-10T13',
      '2024-03-10T13:00:00.000Z',
      '2024-03-10T14:00:00.000Z',
    ],
    [
      'Hour',
      '2024-12-31T23:00:00.000Z',
      'H2024-12-31T23',
      '2024-12-31T23:00:00.000Z',
      '2025-01-01T00:00:00.000Z',
    ],
    [
      'Day',
      '2024-02-28T23:59:59.999Z',
      'D2024-02-28',
      '2024-02-28T00:00:00.000Z',
      '2024-02-29T00:00:00.000Z',
    ],
    [
      'Day',
      '2024-02-29T00:00:00.000Z',
      'D2024-02-29',
      '2024-02-29T00:00:00.000Z',
      '2024-03-01T00:00:00.000Z',
    ],
    // US daylight-saving day: still 24 hours in UTC
    [
      'Day',
      '2024-03-10T07:30:00.000Z',
      'D2024-03-10',
      '2024-03-10T00:00:00.000Z',
      '2024-03-11T00:00:00.000Z',
    ],
    // weeks start on Monday: a Sunday belongs to the week of the Monday before
    [
      'Week',
      '2024-03-17T23:59:59.999Z',
      'W2024-03-11',
      '2024-03-11T00:00:00.000Z',
      '2024-03-18T00:00:00.000Z',
    ],
    [
      'Week',
      '2024-03-18T00:00:00.000Z',
      'W2024-03-18',
      '2024-03-18T00:00:00.000Z',
      '2024-03-25T00:00:00.000Z',
    ],
    // across a month and a year
    [
      'Week',
      '2025-01-01T12:00:00.000Z',
      'W2024-12-30',
      '2024-12-30T00:00:00.000Z',
      '2025-01-06T00:00:00.000Z',
    ],
    ['Month', '2024-02-15T10:00:00.000Z', 'M2024-02', '2024-02-01T00:00:00.000Z', '2024-03-01T00:00:00.000Z'],
    ['Month', '2023-02-28T23:59:59.999Z', 'M2023-02', '2023-02-01T00:00:00.000Z', '2023-03-01T00:00:00.000Z'],
    ['Month', '2024-12-31T23:59:59.999Z', 'M2024-12', '2024-12-01T00:00:00.000Z', '2025-01-01T00:00:00.000Z'],
  ])('%s at %s is %s [%s, %s)', (period, now, id, start, end) => {
    expect(span(period, now)).toEqual([id, start, end]);
  });

  it('every instant lies in its period, and the next period starts where it ends', () => {
    for (const period of ['Hour', 'Day', 'Week', 'Month'] as const) {
      let now = at('2023-12-25T05:06:07.000Z');
      for (let i = 0; i < 500; i++) {
        const p = periodOf(period, now);
        expect(p.startMs).toBeLessThanOrEqual(now);
        expect(p.endMs).toBeGreaterThan(now);
        expect(periodOf(period, p.endMs).startMs).toBe(p.endMs);
        expect(periodOf(period, p.endMs - 1).id).toBe(p.id);
        now += 7 * 3_600_000 + 1234; // steps that land everywhere in a day, week and month
      }
    }
  });
});

describe('periodsOf: the current period, remembered', () => {
  it('answers as periodOf does, across boundaries both ways, and reuses the period inside it', () => {
    const current = periodsOf('Hour');
    const t = Date.UTC(2026, 10, 25, 16, 59, 59, 999);
    const a = current(t);
    expect(a).toEqual(periodOf('Hour', t));
    expect(current(t - 3_599_999)).toBe(a); // same hour: the same object
    const next = current(t + 1);
    expect(next).toEqual(periodOf('Hour', t + 1));
    expect(next.startMs).toBe(a.endMs);
    expect(current(t)).toEqual(a); // the clock going back
  });
});
