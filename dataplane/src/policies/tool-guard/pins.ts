/** Most tools one policy pins per replica: a server inventing names cannot grow memory without end. */
export const MAX_PINNED_TOOLS = 10_000;

/**
 * The FirstSeen pins of one Policy: `{scope}\0{tool}` → fingerprint, for the life of the process (per
 * replica). Shared by every ToolGuard built for the Policy, so a config reload keeps them.
 */
export class PinStore {
  private readonly pins = new Map<string, string>();

  constructor(readonly max = MAX_PINNED_TOOLS) {}

  get(key: string): string | undefined {
    return this.pins.get(key);
  }

  /** False when the store is full and `key` is new: it was not pinned. */
  pin(key: string, fingerprint: string): boolean {
    if (!this.pins.has(key) && this.pins.size >= this.max) return false;
    this.pins.set(key, fingerprint);
    return true;
  }

  get size(): number {
    return this.pins.size;
  }
}
