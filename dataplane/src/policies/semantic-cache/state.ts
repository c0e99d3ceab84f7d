import type { Snapshot } from '../../config/snapshot';
import type { ChatResponse } from '../../formats/ir';
import { Backoff } from './backoff';
import { partitionPrefix, prefixOfPartition } from './key';
import type { SemanticCacheMetrics } from './metrics';
import { Partitions, type PartitionOptions } from './partitions';

/** One stored answer. */
export interface CachedAnswer {
  readonly response: ChatResponse;
  readonly storedAt: number;
}

export interface SemanticCacheStateOptions {
  metrics?: SemanticCacheMetrics;
  now?: () => number;
  partitions?: Omit<PartitionOptions<CachedAnswer>, 'now'>;
}

/**
 * What the semanticCache plugins share and keep across config snapshots: the vector stores (so a
 * reload keeps the cache), the embedding back-off, the metrics and the clock.
 */
export class SemanticCacheState {
  readonly partitions: Partitions<CachedAnswer>;
  readonly backoff = new Backoff();
  readonly metrics: SemanticCacheMetrics | undefined;
  readonly now: () => number;

  constructor(options: SemanticCacheStateOptions = {}) {
    this.now = options.now ?? Date.now;
    this.metrics = options.metrics;
    this.partitions = new Partitions<CachedAnswer>({ ...options.partitions, now: this.now });
  }

  /** Drops the entries of caches no longer configured (a removed Policy, another embedding model). */
  retain(snapshot: Snapshot): void {
    const live = new Set<string>();
    for (const r of snapshot.resources.values()) {
      const config = r.kind === 'Policy' ? r.body.plugins.semanticCache : undefined;
      if (config) live.add(partitionPrefix(r.name, config));
    }
    this.partitions.retain(live, prefixOfPartition);
  }
}
