import { Counter, type Registry } from 'prom-client';

/** What one chat request got from the cache. */
export type CacheResult = 'hit' | 'miss' | 'skip' | 'error';

export interface SemanticCacheMetrics {
  count(policy: string, result: CacheResult): void;
}

const made = new WeakMap<Registry, SemanticCacheMetrics>();

/**
 * `tollgate_semantic_cache_total{policy,result}`: hit, miss, skip (not looked up: the request
 * asked not to be cached, or its prompt cannot be keyed) and error (embedding failed or timed out;
 * the request was served without the cache). One counter per prom registry: two dataplanes sharing
 * one metrics object must not register it twice.
 */
export function createSemanticCacheMetrics(registry: Registry): SemanticCacheMetrics {
  let metrics = made.get(registry);
  if (!metrics) {
    const counter = new Counter({
      name: 'tollgate_semantic_cache_total',
      help: 'Semantic-cache lookups of chat requests by policy and result: hit, miss, skip (not looked up), error (embedding failed; served without the cache).',
      labelNames: ['policy', 'result'],
      registers: [registry],
    });
    const children = new Map<string, ReturnType<typeof counter.labels>>();
    metrics = {
      count(policy, result) {
        const key = `${policy}\u0000${result}`;
        let child = children.get(key);
        if (!child) {
          child = counter.labels({ policy, result });
          children.set(key, child);
        }
        child.inc();
      },
    };
    made.set(registry, metrics);
  }
  return metrics;
}
