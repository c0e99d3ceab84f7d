import type { HierarchicalNSW } from 'hnswlib-node';
import type { VectorHit, VectorStore } from './vector-store';

export interface HnswStoreOptions {
  dimensions: number;
  /** Most entries kept; past it the oldest go (expired ones first). */
  maxEntries?: number;
  /** Slots allocated up front; doubled as entries arrive, up to `maxEntries`. */
  initialCapacity?: number;
  now?: () => number;
}

interface Entry<V> {
  readonly tag: string;
  readonly value: V;
  readonly expiresAt: number;
}

export const HNSW_DEFAULTS = { maxEntries: 10_000, initialCapacity: 64 } as const;
/** Graph degree and build/search breadth: hnswlib's defaults, a wider search for filtered lookups. */
const M = 16;
const EF_CONSTRUCTION = 200;
const EF_SEARCH = 64;
/** A fixed seed: the same inserts build the same graph on every replica and test run. */
const SEED = 100;

/** The native addon, loaded by the first store made: a proxy without a semantic cache never loads it. */
let hnswlib: typeof import('hnswlib-node') | undefined;

/**
 * The in-process vector store: an HNSW graph (hnswlib) in cosine space. Deleted and expired entries
 * are marked deleted in the graph and their slots reused by later inserts, so memory stays within
 * `maxEntries` slots; capacity grows by doubling, so a small cache costs little.
 */
export class HnswVectorStore<V> implements VectorStore<V> {
  readonly dimensions: number;
  private readonly index: HierarchicalNSW;
  /** Live entries by label, oldest first (Map keeps insertion order). */
  private readonly entries = new Map<number, Entry<V>>();
  private readonly maxEntries: number;
  private readonly now: () => number;
  private capacity: number;
  /** Slots of deleted entries, which the next inserts reuse. */
  private free = 0;
  private nextId = 0;

  constructor(options: HnswStoreOptions) {
    if (!Number.isInteger(options.dimensions) || options.dimensions < 1)
      throw new RangeError(`dimensions must be a positive whole number, not ${options.dimensions}`);
    this.dimensions = options.dimensions;
    this.maxEntries = Math.max(1, options.maxEntries ?? HNSW_DEFAULTS.maxEntries);
    this.capacity = Math.min(this.maxEntries, options.initialCapacity ?? HNSW_DEFAULTS.initialCapacity);
    this.now = options.now ?? Date.now;
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    hnswlib ??= require('hnswlib-node') as typeof import('hnswlib-node');
    this.index = new hnswlib.HierarchicalNSW('cosine', this.dimensions);
    this.index.initIndex({
      maxElements: this.capacity,
      m: M,
      efConstruction: EF_CONSTRUCTION,
      randomSeed: SEED,
      allowReplaceDeleted: true,
    });
    this.index.setEf(EF_SEARCH);
  }

  get size(): number {
    return this.entries.size;
  }

  /** Slots allocated in the graph (live, deleted and free): the memory bound is `maxEntries` slots. */
  get slots(): number {
    return this.capacity;
  }

  async add(vector: readonly number[], tag: string, value: V, expiresAt: number): Promise<void> {
    this.checkLength(vector);
    this.dropExpiredOldest();
    if (this.entries.size >= this.maxEntries) {
      this.expireAll();
      if (this.entries.size >= this.maxEntries) this.evict(this.entries.size - this.maxEntries + 1);
    }
    if (this.free === 0 && this.index.getCurrentCount() >= this.capacity) {
      this.capacity = Math.min(this.maxEntries, this.capacity * 2);
      this.index.resizeIndex(this.capacity);
    }
    const id = this.nextId++;
    // Reuses a deleted entry's slot when there is one (hnswlib adds normally otherwise).
    this.index.addPoint([...vector], id, true);
    if (this.free > 0) this.free--;
    this.entries.set(id, { tag, value, expiresAt });
  }

  async search(vector: readonly number[], tag: string, k: number): Promise<VectorHit<V>[]> {
    this.checkLength(vector);
    if (this.entries.size === 0 || k < 1) return [];
    const now = this.now();
    const found = this.index.searchKnn([...vector], Math.min(k, this.entries.size), (id) => {
      const e = this.entries.get(id);
      return e !== undefined && e.tag === tag && e.expiresAt > now;
    });
    const hits: VectorHit<V>[] = [];
    found.neighbors.forEach((id, i) => {
      const e = this.entries.get(id);
      // hnswlib's cosine distance is 1 - similarity.
      if (e)
        hits.push({ id, value: e.value, similarity: 1 - (found.distances[i] ?? 1), expiresAt: e.expiresAt });
    });
    return hits.sort((a, b) => b.similarity - a.similarity);
  }

  async delete(id: number): Promise<boolean> {
    return this.remove(id);
  }

  async expire(): Promise<number> {
    return this.expireAll();
  }

  async evictOldest(n: number): Promise<number> {
    return this.evict(n);
  }

  private remove(id: number): boolean {
    if (!this.entries.delete(id)) return false;
    this.index.markDelete(id);
    this.free++;
    return true;
  }

  private expireAll(): number {
    const now = this.now();
    let dropped = 0;
    for (const [id, e] of this.entries) if (e.expiresAt <= now && this.remove(id)) dropped++;
    return dropped;
  }

  /** Entries mostly expire in insertion order: dropping the expired oldest ones is O(1) per insert. */
  private dropExpiredOldest(): void {
    const now = this.now();
    for (const [id, e] of this.entries) {
      if (e.expiresAt > now) return;
      this.remove(id);
    }
  }

  private evict(n: number): number {
    let dropped = 0;
    for (const id of this.entries.keys()) {
      if (dropped >= n) break;
      if (this.remove(id)) dropped++;
    }
    return dropped;
  }

  private checkLength(vector: readonly number[]): void {
    if (vector.length !== this.dimensions)
      throw new RangeError(`expected a vector of ${this.dimensions} dimensions, got ${vector.length}`);
  }
}
