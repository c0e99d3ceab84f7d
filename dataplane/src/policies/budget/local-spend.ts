/**
 * In-process spend per budget key: the store without Redis, and the fallback while Redis is
 * unreachable, then seeded with the last total Redis reported so a replica goes on from there
 * rather than from zero. Bounded: past `maxKeys` the least recently used key is dropped.
 */
export class LocalSpendStore {
  private readonly entries = new Map<string, { spent: bigint; expiresAt: number }>();

  constructor(
    private readonly now: () => number = Date.now,
    private readonly maxKeys = 100_000,
  ) {}

  get(key: string): bigint {
    const e = this.entries.get(key);
    if (!e) return 0n;
    if (e.expiresAt <= this.now()) {
      this.entries.delete(key);
      return 0n;
    }
    return e.spent;
  }

  /** Records a total read from Redis. */
  set(key: string, spent: bigint, expiresAt: number): void {
    this.entries.delete(key);
    this.entries.set(key, { spent, expiresAt });
    if (this.entries.size > this.maxKeys) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
  }

  add(key: string, amount: bigint, expiresAt: number): bigint {
    const spent = this.get(key) + amount;
    this.set(key, spent, expiresAt);
    return spent;
  }
}
