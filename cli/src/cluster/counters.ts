import type { AnyResource, PluginName } from '@tollgate/protocol';

/** Plugins that count per process unless a Redis is shared: N workers would each allow the limit. */
export const COUNTING_PLUGINS: readonly PluginName[] = ['rateLimit', 'tokenRateLimit', 'budget'];

/** `Policy ns/name (rateLimit, budget)` for every Policy with a counting plugin, sorted. */
export function countingPolicies(resources: Iterable<AnyResource>): string[] {
  const found: string[] = [];
  for (const r of resources) {
    if (r.kind !== 'Policy') continue;
    const plugins = COUNTING_PLUGINS.filter((p) => r.body.plugins[p] !== undefined);
    if (plugins.length > 0) found.push(`Policy ${r.name} (${plugins.join(', ')})`);
  }
  return found.sort();
}

/**
 * Why this config cannot be served exactly by `workers` processes without Redis; undefined when it
 * can (one worker, a Redis URL, or no counting policy).
 */
export function countersProblem(
  resources: Iterable<AnyResource>,
  workers: number,
  redisUrl: string | undefined,
): string | undefined {
  if (workers <= 1 || redisUrl) return undefined;
  const policies = countingPolicies(resources);
  if (policies.length === 0) return undefined;
  return (
    `--workers ${workers} without --redis-url: rate limits, token limits and budgets would be counted ` +
    `in each worker separately (up to ${workers}× the limit). Pass --redis-url (TOLLGATE_REDIS_URL) ` +
    `to share the counters, or use --workers 1. Policies that count: ${policies.join('; ')}`
  );
}
