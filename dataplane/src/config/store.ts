import { resourceKey, type AnyResource } from '@tollgate/protocol';
import { buildSnapshot, type Snapshot } from './snapshot';

/**
 * Holds the current config. `apply` builds a new snapshot and swaps one reference: a request
 * reads `current` once and keeps that snapshot to its end, so a swap never changes it mid-flight.
 */
export class ConfigStore {
  private snapshot: Snapshot = buildSnapshot([], 0);
  private synced = false;
  private readonly listeners = new Set<(s: Snapshot) => void>();

  get current(): Snapshot {
    return this.snapshot;
  }

  /** True once a first full config has been applied. */
  get ready(): boolean {
    return this.synced;
  }

  /** Replace the whole config with `resources`. */
  replaceAll(resources: readonly AnyResource[]): Snapshot {
    return this.swap(buildSnapshot(resources, this.snapshot.serial + 1));
  }

  /** Apply a delta: upsert `updated`, drop `removed` (resource keys `{kind}/{namespace}/{name}`). */
  applyDelta(updated: readonly AnyResource[], removed: readonly string[]): Snapshot {
    const next = new Map(this.snapshot.resources);
    for (const key of removed) next.delete(key);
    for (const r of updated) next.set(resourceKey(r), r);
    return this.swap(buildSnapshot([...next.values()], this.snapshot.serial + 1));
  }

  /** Mark the first full sync as done (readiness). */
  markSynced(): void {
    this.synced = true;
  }

  onChange(listener: (s: Snapshot) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private swap(next: Snapshot): Snapshot {
    this.snapshot = next;
    for (const l of this.listeners) l(next);
    return next;
  }
}
