import type { Decision } from '../rate-limit/window';

/**
 * OpenAI's token rate-limit headers: the limit, what is left (before this request's own usage is
 * charged: that is known only once the response is complete) and when the full limit is back, as
 * OpenAI writes durations (`850ms`, `1.5s`, `6m0s`).
 */
export function setTokenHeaders(headers: Record<string, string>, d: Decision): void {
  headers['x-ratelimit-limit-tokens'] = String(d.limit);
  headers['x-ratelimit-remaining-tokens'] = String(d.remaining);
  headers['x-ratelimit-reset-tokens'] = openAIDuration(d.resetMs);
}

/** 850 → "850ms", 1500 → "1.5s", 360000 → "6m0s", 3723004 → "1h2m3.004s" (Go's duration format). */
export function openAIDuration(ms: number): string {
  const whole = Math.max(0, Math.round(ms));
  if (whole < 1000) return `${whole}ms`;
  const h = Math.floor(whole / 3_600_000);
  const m = Math.floor((whole % 3_600_000) / 60_000);
  const secondsMs = whole % 60_000;
  const seconds = `${Math.floor(secondsMs / 1000)}${fraction(secondsMs % 1000)}s`;
  if (h > 0) return `${h}h${m}m${seconds}`;
  if (m > 0) return `${m}m${seconds}`;
  return seconds;
}

/** 500 → ".5", 4 → ".004", 0 → "". */
function fraction(ms: number): string {
  return ms === 0 ? '' : `.${String(ms).padStart(3, '0').replace(/0+$/, '')}`;
}
