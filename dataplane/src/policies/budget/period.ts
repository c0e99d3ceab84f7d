import type { BudgetPeriod } from '@tollgate/protocol';

/** One calendar period in UTC: [startMs, endMs), named by `id` (the counter key's period part). */
export interface Period {
  readonly id: string;
  readonly startMs: number;
  readonly endMs: number;
}

const HOUR_MS = 3_600_000;

/**
 * The period `now` falls in, in UTC (no daylight-saving shifts): hours and days as on the clock,
 * weeks from Monday 00:00 (ISO 8601), months from the 1st. Date.UTC carries day and month overflow
 * into the next month and year, leap years included.
 */
export function periodOf(period: BudgetPeriod, now: number): Period {
  const d = new Date(now);
  const y = d.getUTCFullYear();
  const mo = d.getUTCMonth();
  const day = d.getUTCDate();
  switch (period) {
    case 'Hour': {
      const startMs = Date.UTC(y, mo, day, d.getUTCHours());
      return { id: `H${iso(startMs).slice(0, 13)}`, startMs, endMs: startMs + HOUR_MS };
    }
    case 'Day': {
      const startMs = Date.UTC(y, mo, day);
      return { id: `D${iso(startMs).slice(0, 10)}`, startMs, endMs: Date.UTC(y, mo, day + 1) };
    }
    case 'Week': {
      const sinceMonday = (d.getUTCDay() + 6) % 7;
      const startMs = Date.UTC(y, mo, day - sinceMonday);
      return { id: `W${iso(startMs).slice(0, 10)}`, startMs, endMs: Date.UTC(y, mo, day - sinceMonday + 7) };
    }
    case 'Month': {
      const startMs = Date.UTC(y, mo, 1);
      return { id: `M${iso(startMs).slice(0, 7)}`, startMs, endMs: Date.UTC(y, mo + 1, 1) };
    }
  }
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

/**
 * `periodOf` for one kind of period, remembered while `now` stays in it: a budget asks on every
 * request, and the answer changes once an hour at most.
 */
export function periodsOf(period: BudgetPeriod): (now: number) => Period {
  let last: Period | undefined;
  return (now) => {
    if (!last || now < last.startMs || now >= last.endMs) last = periodOf(period, now);
    return last;
  };
}
