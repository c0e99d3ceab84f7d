import { Pool } from 'undici';
import type { CompiledRegistry } from '../../../protocol/src';

/**
 * Kept-alive connection pools per origin and timeouts, shared by every upstream client (LLM
 * providers, MCP servers, A2A agents). Timeouts live on the pool, not on each request: a
 * per-request timeout costs a timer each. Pools outlive config changes.
 */
export class UpstreamPools {
  private readonly pools = new Map<string, Pool>();

  get(origin: string, t: CompiledRegistry['timeouts']): Pool {
    const key = `${origin}|${t.connectMs}|${t.requestMs}|${t.idleMs}`;
    let pool = this.pools.get(key);
    if (!pool) {
      pool = new Pool(origin, {
        connect: { timeout: t.connectMs },
        headersTimeout: t.requestMs,
        bodyTimeout: t.idleMs,
        keepAliveTimeout: 30_000,
      });
      this.pools.set(key, pool);
    }
    return pool;
  }

  async close(): Promise<void> {
    const all = [...this.pools.values()];
    this.pools.clear();
    await Promise.all(all.map((p) => p.close().catch(() => undefined)));
  }
}
