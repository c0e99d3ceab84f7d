/**
 * Next reconnect delay: doubling from initial to max, with full jitter in the upper half. In a file
 * of its own (re-exported by client.ts) so that `tollgate run --workers` restarts its workers on the
 * same schedule without loading gRPC.
 */
export function nextBackoff(
  previousMs: number,
  initialMs: number,
  maxMs: number,
  random = Math.random,
): number {
  const base = previousMs === 0 ? initialMs : Math.min(maxMs, previousMs * 2);
  return Math.round(base / 2 + (random() * base) / 2);
}
