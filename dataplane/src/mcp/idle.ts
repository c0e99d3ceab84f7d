/**
 * What a sealed token cannot know by itself: when its session was last used, and whether it was
 * ended. Each proxy remembers both for the sessions it served (bounded, least recently used first
 * out). A replica that never saw a session accepts it within its absolute TTL; the upstream
 * servers' own session expiry (an upstream answering 404 ends the client's session too) covers the
 * rest. So idle expiry is exact on a replica that served the session, and best effort elsewhere.
 */
export class IdleSessions {
  /** Token tail (its GCM tag: unique per token) → last use in ms, or -1 once ended. */
  private readonly seen = new Map<string, number>();

  constructor(private readonly maxEntries = 50_000) {}

  /** Records a use at `now`; says whether the session may be used. */
  touch(token: string, now: number, idleMs: number): 'ok' | 'idle' | 'ended' {
    const key = keyOf(token);
    const last = this.seen.get(key);
    if (last === -1) return 'ended';
    if (last !== undefined && now - last > idleMs) return 'idle';
    this.remember(key, now);
    return 'ok';
  }

  /** The session was ended (DELETE): refused from now on by this replica. */
  end(token: string): void {
    this.remember(keyOf(token), -1);
  }

  get size(): number {
    return this.seen.size;
  }

  private remember(key: string, value: number): void {
    this.seen.delete(key);
    this.seen.set(key, value);
    if (this.seen.size > this.maxEntries) {
      const oldest = this.seen.keys().next();
      if (!oldest.done) this.seen.delete(oldest.value);
    }
  }
}

function keyOf(token: string): string {
  return token.slice(-24);
}
