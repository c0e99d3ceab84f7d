/**
 * Where semantic-cache entries live: vectors with a payload, searched by cosine similarity. One store
 * holds one partition (a Policy's scope: a consumer, or a whole gateway). Async so that a store on a
 * server (a Redis vector index, where the server has one) fits behind the same interface; the
 * in-process HNSW store answers at once.
 *
 * `tag` is matched exactly, not by similarity: it carries what makes two answers non-interchangeable
 * (model, request shape, conversation so far), as a vector index's TAG filter would.
 */
export interface VectorStore<V> {
  /** Stores `value` under `vector` until `expiresAt` (ms since the epoch); may evict to make room. */
  add(vector: readonly number[], tag: string, value: V, expiresAt: number): Promise<void>;
  /** Up to `k` live entries with exactly this tag, most similar first. */
  search(vector: readonly number[], tag: string, k: number): Promise<VectorHit<V>[]>;
  /** Drops one entry. */
  delete(id: number): Promise<boolean>;
  /** Drops every expired entry; returns how many. */
  expire(): Promise<number>;
  /** Drops up to `n` of the oldest entries; returns how many. */
  evictOldest(n: number): Promise<number>;
  /** Live entries (expired ones not yet dropped included). */
  readonly size: number;
  /** Length of the vectors this store takes. */
  readonly dimensions: number;
}

export interface VectorHit<V> {
  readonly id: number;
  readonly value: V;
  /** Cosine similarity, 1 for the same direction. */
  readonly similarity: number;
  readonly expiresAt: number;
}
