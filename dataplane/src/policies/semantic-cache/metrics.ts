import { Counter } from 'prom-client';
import { ChildCache, perRegistry } from '../../telemetry/prom';

/** What one chat request got from the cache. */
export type CacheResult = 'hit' | 'miss' | 'skip' | 'error';

export interface SemanticCacheMetrics {
  count(policy: string, result: CacheResult): void;
}

/**
 * `tollgate_semantic_cache_total{policy,result}`: hit, miss, skip (not looked up: the request
 * asked not to be cached, or its prompt cannot be keyed) and error (embedding failed or timed out;
 * the request was served without the cache). One counter per prom registry.
 */
export const createSemanticCacheMetrics = perRegistry((registry): SemanticCacheMetrics => {
  const counter = new Counter({
    name: 'tollgate_semantic_cache_total',
    help: 'Semantic-cache lookups of chat requests by policy and result: hit, miss, skip (not looked up), error (embedding failed; served without the cache).',
    labelNames: ['policy', 'result'],
    registers: [registry],
  });
  const children = new ChildCache((policy, result) => counter.labels({ policy, result }));
  return {
    count: (policy, result) => children.of(policy, result).inc(),
  };
});
