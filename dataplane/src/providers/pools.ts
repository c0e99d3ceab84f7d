import type { Socket } from 'node:net';
import { Pool, buildConnector } from './undici';
import type { CompiledRegistry } from '@tollgate/protocol';

/**
 * How long a connection opened ahead of traffic (`preconnect`) waits for a request before it is
 * closed: the pools' own keep-alive timeout, as undici would close it once idle.
 */
const KEEP_ALIVE_MS = 30_000;

/** A pool and the connections opened for it ahead of its first requests. */
interface Entry {
  pool: Pool;
  connect: buildConnector.connector;
  /** Open connections no request has used yet; the pool takes these before opening new ones. */
  spare: Socket[];
}

/**
 * Kept-alive connection pools per origin and timeouts, shared by every upstream client (LLM
 * providers, MCP servers, A2A agents). Timeouts live on the pool, not on each request: a
 * per-request timeout costs a timer each. Pools outlive config changes.
 */
export class UpstreamPools {
  private readonly pools = new Map<string, Entry>();

  get(origin: string, t: CompiledRegistry['timeouts']): Pool {
    return this.entry(origin, t).pool;
  }

  /**
   * Opens up to `connections` connections (TCP, and TLS for https) to `origin` for its pool to use
   * before it opens any of its own: the handshakes the first requests would otherwise wait for. No
   * request is sent; a connection not used within KEEP_ALIVE_MS is closed. Only a pool that has
   * none yet is pre-connected. Resolves with how many connections opened; failures are left out.
   */
  async preconnect(origin: string, t: CompiledRegistry['timeouts'], connections: number): Promise<number> {
    if (connections <= 0 || this.pools.has(this.keyOf(origin, t))) return 0;
    const entry = this.entry(origin, t);
    const u = new URL(origin);
    const target = {
      host: u.host,
      hostname: u.hostname.replace(/^\[|\]$/g, ''),
      protocol: u.protocol,
      port: u.port,
    };
    const opened = await Promise.all(Array.from({ length: connections }, () => openSpare(entry, target)));
    const unused = setTimeout(() => {
      for (const s of entry.spare.splice(0)) s.destroy();
    }, KEEP_ALIVE_MS);
    unused.unref();
    return opened.filter(Boolean).length;
  }

  async close(): Promise<void> {
    const all = [...this.pools.values()];
    this.pools.clear();
    for (const e of all) for (const s of e.spare.splice(0)) s.destroy();
    await Promise.all(all.map((e) => e.pool.close().catch(() => undefined)));
  }

  private keyOf(origin: string, t: CompiledRegistry['timeouts']): string {
    return `${origin}|${t.connectMs}|${t.requestMs}|${t.idleMs}`;
  }

  private entry(origin: string, t: CompiledRegistry['timeouts']): Entry {
    const key = this.keyOf(origin, t);
    let entry = this.pools.get(key);
    if (!entry) {
      // The connector undici would build from `connect: { timeout }`, handing out spares first.
      const connect = buildConnector({ timeout: t.connectMs });
      const spare: Socket[] = [];
      const pool = new Pool(origin, {
        connect: (options, callback) => {
          const socket = takeSpare(spare);
          // Asynchronously, as a connect completes: undici ignores a resume from inside its own.
          if (socket) queueMicrotask(() => callback(null, socket));
          else connect(options, callback);
        },
        headersTimeout: t.requestMs,
        bodyTimeout: t.idleMs,
        keepAliveTimeout: KEEP_ALIVE_MS,
      });
      entry = { pool, connect, spare };
      this.pools.set(key, entry);
    }
    return entry;
  }
}

/** The newest spare connection still open (the others are closed); undefined when none is. */
function takeSpare(spare: Socket[]): Socket | undefined {
  for (let s = spare.pop(); s; s = spare.pop()) {
    if (!s.destroyed && s.readyState === 'open') return s.ref();
    s.destroy();
  }
  return undefined;
}

/** Opens one connection with the pool's own connector and keeps it as a spare; false if it failed. */
function openSpare(entry: Entry, target: buildConnector.Options): Promise<boolean> {
  return new Promise((resolve) => {
    entry.connect(target, (err, socket) => {
      if (err || !socket) return resolve(false);
      // A spare does not keep the process alive; one the server closes leaves the list.
      socket.unref();
      socket.once('close', () => {
        const i = entry.spare.indexOf(socket);
        if (i !== -1) entry.spare.splice(i, 1);
      });
      entry.spare.push(socket);
      resolve(true);
    });
  });
}
