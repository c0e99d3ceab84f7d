import { HnswVectorStore } from './hnsw-store';
import type { VectorHit, VectorStore } from './vector-store';

export interface PartitionOptions<V> {
  /** Entries one partition keeps at most (default 10 000). */
  maxEntriesPerPartition?: number;
  /**
   * Entries all partitions keep together (default 50 000): past it, the least recently used
   * partitions give up their oldest entries. Bounds memory whatever the number of consumers.
   */
  maxEntries?: number;
  now?: () => number;
  /** Makes a partition's store; the in-process HNSW store by default. */
  createStore?: (dimensions: number, maxEntries: number) => VectorStore<V>;
}

export const PARTITION_DEFAULTS = { maxEntriesPerPartition: 10_000, maxEntries: 50_000 } as const;

/**
 * The cache's partitions (one store per Policy, embedding model and scope key), long-lived: they
 * outlive config snapshots, so a reload keeps the cache. Kept in least-recently-used order.
 */
export class Partitions<V> {
  private readonly stores = new Map<string, VectorStore<V>>();
  private readonly maxPerPartition: number;
  private readonly maxEntries: number;
  private readonly createStore: (dimensions: number, maxEntries: number) => VectorStore<V>;
  private total = 0;

  constructor(options: PartitionOptions<V> = {}) {
    this.maxPerPartition = options.maxEntriesPerPartition ?? PARTITION_DEFAULTS.maxEntriesPerPartition;
    this.maxEntries = options.maxEntries ?? PARTITION_DEFAULTS.maxEntries;
    const now = options.now ?? Date.now;
    this.createStore =
      options.createStore ??
      ((dimensions, maxEntries) => new HnswVectorStore<V>({ dimensions, maxEntries, now }));
  }

  /** Entries held across partitions. */
  get size(): number {
    return this.total;
  }

  get partitions(): number {
    return this.stores.size;
  }

  async search(key: string, vector: readonly number[], tag: string, k: number): Promise<VectorHit<V>[]> {
    const store = this.touch(key);
    // Another length means another embedding model answered: nothing stored is comparable.
    if (!store || store.dimensions !== vector.length) return [];
    return store.search(vector, tag, k);
  }

  async add(key: string, vector: readonly number[], tag: string, value: V, expiresAt: number): Promise<void> {
    let store = this.touch(key);
    if (!store || store.dimensions !== vector.length) {
      if (store) this.drop(key, store);
      store = this.createStore(vector.length, this.maxPerPartition);
      this.stores.set(key, store);
    }
    await this.counted(store, () => store.add(vector, tag, value, expiresAt));
    await this.enforceBudget();
  }

  async delete(key: string, id: number): Promise<boolean> {
    const store = this.stores.get(key);
    if (!store) return false;
    let deleted = false;
    await this.counted(store, async () => {
      deleted = await store.delete(id);
    });
    return deleted;
  }

  /** Drops the partitions whose key does not start with one of `live` (a removed Policy's). */
  retain(live: ReadonlySet<string>, prefixOf: (key: string) => string): void {
    for (const [key, store] of this.stores) if (!live.has(prefixOf(key))) this.drop(key, store);
  }

  /** Most recently used last. */
  private touch(key: string): VectorStore<V> | undefined {
    const store = this.stores.get(key);
    if (store) {
      this.stores.delete(key);
      this.stores.set(key, store);
    }
    return store;
  }

  private drop(key: string, store: VectorStore<V>): void {
    this.stores.delete(key);
    this.total -= store.size;
  }

  private async counted(store: VectorStore<V>, op: () => Promise<unknown>): Promise<void> {
    const before = store.size;
    try {
      await op();
    } finally {
      this.total += store.size - before;
    }
  }

  private async enforceBudget(): Promise<void> {
    for (const [key, store] of this.stores) {
      if (this.total <= this.maxEntries) return;
      await this.counted(store, () => store.expire());
      const over = this.total - this.maxEntries;
      if (over > 0) await this.counted(store, () => store.evictOldest(over));
      if (store.size === 0) this.drop(key, store);
    }
  }
}
