import { randomUUID } from 'node:crypto';
import type { Dispatcher } from 'undici';
import type { CompiledMcpHttpServer, CompiledRegistry } from '@tollgate/protocol';
import { isObject, type Json } from '../formats/wire';
import { LegacySseConnection, SseError, type SseTarget } from './sse-connection';

/**
 * The servers of transport SSE (legacy HTTP+SSE, see ./sse-connection) behind the interface
 * `McpUpstreams` gives every transport. The legacy transport binds an upstream session to one
 * long-lived GET, which one proxy process holds; a client session may move between replicas. So:
 *
 * - At `initialize` the gateway opens a connection and names it with a random key, which the
 *   sealed session token carries as that server's session id (with the client's initialize
 *   parameters: see session.ts). Each replica keeps its own connection per (server, key), opened
 *   lazily: a replica that holds none opens one and initializes it again with the client's
 *   parameters (and sends `notifications/initialized`) before forwarding. A stateless server works
 *   from any replica; a stateful one sees one session per replica that served the client.
 * - A connection no request or listener used for `idleMs` (the Gateway's `spec.mcp.idleTimeout`)
 *   is closed; `end` (the client's DELETE) closes this replica's one; a stream that drops is opened
 *   again (and re-initialized) by the next request. At most `maxPerServer` connections per server
 *   per process: the least recently used idle one makes room, else the request is refused.
 * - Notifications and answers to the server's requests go to the connection this replica holds, if
 *   any (a client's answer must reach the replica holding the stream that asked).
 */

export interface SseSessionRef {
  /** The connection key (the session token's session id for this server). */
  sessionId?: string | undefined;
  protocolVersion?: string | undefined;
  /** The client's initialize parameters, to initialize a connection this replica opens again. */
  initialize?: Json | undefined;
  /** How long an unused connection is kept. */
  idleMs?: number | undefined;
}

/** A Registry of transport SSE. */
export type SseRegistry = CompiledRegistry & { mcp: CompiledMcpHttpServer };

interface SseServerTarget extends SseTarget {
  /** The Registry resource name. */
  registry: string;
  /** Its config, as a string: a connection opened under another config is replaced. */
  config: string;
}

export interface LegacySseDeps {
  /** Connections held per server by this process (default 256). */
  maxPerServer?: number | undefined;
  /** How errors name a server. */
  label: (registry: SseRegistry) => string;
  /** The headers of every request to a server (its own, its credentials). */
  headers: (registry: SseRegistry) => Record<string, string>;
  /** The connection pool of an origin, with the registry's timeouts. */
  dispatcher: (origin: string, timeouts: CompiledRegistry['timeouts']) => Dispatcher;
}

export interface SseReply {
  sessionId: string | undefined;
  streamed: boolean;
  messages: AsyncIterable<Json>;
}

interface Entry {
  registry: string;
  config: string;
  idleMs: number;
  conn: Promise<LegacySseConnection>;
  settled: LegacySseConnection | undefined;
  timer: NodeJS.Timeout | undefined;
}

export const DEFAULT_MAX_SSE_CONNECTIONS = 256;
const DEFAULT_IDLE_MS = 3_600_000;
const MAX_TIMER_MS = 2 ** 31 - 1;

export class LegacySseServers {
  private readonly entries = new Map<string, Entry>();

  private readonly targets = new WeakMap<SseRegistry, SseServerTarget>();
  private readonly maxPerServer: number;

  constructor(private readonly deps: LegacySseDeps) {
    this.maxPerServer = deps.maxPerServer ?? DEFAULT_MAX_SSE_CONNECTIONS;
  }

  async post(
    registry: SseRegistry,
    message: Json,
    ref: SseSessionRef,
    signal: AbortSignal,
  ): Promise<SseReply> {
    const target = this.targetOf(registry);
    const method = typeof message.method === 'string' ? message.method : undefined;
    if (method === 'initialize' && message.id !== undefined && ref.sessionId === undefined)
      return this.initialize(target, message, ref, signal);
    if (method !== undefined && message.id !== undefined) {
      const { conn, fresh } = await this.connectionFor(target, ref, signal);
      try {
        return await exchange(conn, message, signal);
      } catch (err) {
        // The server had forgotten a connection used before: it took nothing, so one retry is safe.
        if (fresh || !(err instanceof SseError) || err.kind !== 'stale') throw err;
        const again = await this.connectionFor(target, ref, signal);
        return exchange(again.conn, message, signal);
      }
    }
    const conn = this.held(target, ref);
    if (conn) {
      if (method === 'notifications/initialized') {
        if (!conn.initializedSent) await conn.send(message);
        conn.initializedSent = true;
      } else if (method === 'notifications/cancelled' && isObject(message.params)) {
        conn.cancelByClientId(message.params.requestId, message.params.reason);
      } else await conn.send(message);
    }
    return { sessionId: undefined, streamed: false, messages: iterate([]) };
  }

  /** The session's messages that belong to no request, on this replica's connection (opened if need be). */
  async listen(registry: SseRegistry, ref: SseSessionRef, signal: AbortSignal): Promise<AsyncIterable<Json>> {
    const { conn } = await this.connectionFor(this.targetOf(registry), ref, signal);
    return conn.listen();
  }

  /** Closes this replica's connection of the session; whether there was one. */
  end(registry: SseRegistry, ref: SseSessionRef): boolean {
    const key = keyOf(this.targetOf(registry), ref);
    const entry = key === undefined ? undefined : this.entries.get(key);
    if (!entry || key === undefined) return false;
    this.drop(key, entry);
    return true;
  }

  /** Connections held now, per registry that has any. */
  counts(): Record<string, { connections: number }> {
    const out: Record<string, { connections: number }> = {};
    for (const e of this.entries.values()) (out[e.registry] ??= { connections: 0 }).connections++;
    return out;
  }

  close(): void {
    for (const [key, entry] of [...this.entries]) this.drop(key, entry);
  }

  private targetOf(registry: SseRegistry): SseServerTarget {
    let target = this.targets.get(registry);
    if (!target) {
      const t = registry.timeouts;
      target = {
        registry: `${registry.source.namespace}/${registry.source.name}`,
        config: JSON.stringify([registry.mcp, registry.apiKey ?? null, t]),
        label: this.deps.label(registry),
        url: registry.mcp.url,
        headers: this.deps.headers(registry),
        timeouts: { requestMs: t.requestMs, idleMs: t.idleMs },
        dispatcher: (origin) => this.deps.dispatcher(origin, t),
      };
      this.targets.set(registry, target);
    }
    return target;
  }

  /** The client's initialize: a new connection, named by a new key, initialized with the client's own request. */
  private async initialize(
    target: SseServerTarget,
    message: Json,
    ref: SseSessionRef,
    signal: AbortSignal,
  ): Promise<SseReply> {
    const sessionId = randomUUID();
    const { conn } = await this.connectionFor(target, { ...ref, sessionId }, signal, { bare: true });
    let final: Json;
    try {
      final = await answerOf(conn, message, signal);
    } catch (err) {
      conn.close();
      throw err;
    }
    if (isObject(final.result) && typeof final.result.protocolVersion === 'string')
      conn.protocolVersion = final.result.protocolVersion;
    // A server that refused keeps no session: its answer is the caller's, the connection goes.
    if (!isObject(final.result)) conn.close();
    return { sessionId: conn.closed ? undefined : sessionId, streamed: false, messages: iterate([final]) };
  }

  private held(target: SseServerTarget, ref: SseSessionRef): LegacySseConnection | undefined {
    const key = keyOf(target, ref);
    const entry = key === undefined ? undefined : this.entries.get(key);
    if (!entry?.settled || entry.settled.closed || entry.config !== target.config) return undefined;
    entry.settled.lastUsed = Date.now();
    return entry.settled;
  }

  /**
   * This replica's connection of the session: the one it holds, or a new one, initialized again
   * with the client's parameters (`bare`: left for the caller to initialize).
   */
  private async connectionFor(
    target: SseServerTarget,
    ref: SseSessionRef,
    signal: AbortSignal,
    opts: { bare: boolean } = { bare: false },
  ): Promise<{ conn: LegacySseConnection; fresh: boolean }> {
    const key = keyOf(target, ref);
    if (key === undefined)
      throw new SseError('session-gone', `${target.label}: the session names no connection to it`);
    const existing = this.entries.get(key);
    if (existing && existing.config === target.config && !existing.settled?.closed) {
      const conn = await existing.conn;
      conn.lastUsed = Date.now();
      return { conn, fresh: false };
    }
    if (existing) this.drop(key, existing);
    if (!opts.bare && !isObject(ref.initialize))
      throw new SseError(
        'session-gone',
        `${target.label}: this session cannot be opened again on this replica`,
      );
    this.makeRoom(target);
    const entry: Entry = {
      registry: target.registry,
      config: target.config,
      idleMs: Math.min(MAX_TIMER_MS, Math.max(1000, ref.idleMs ?? DEFAULT_IDLE_MS)),
      settled: undefined,
      timer: undefined,
      conn: this.open(target, ref, signal, key, opts.bare),
    };
    this.entries.set(key, entry);
    try {
      const conn = await entry.conn;
      entry.settled = conn;
      this.watchIdle(key, entry);
      return { conn, fresh: true };
    } catch (err) {
      if (this.entries.get(key) === entry) this.entries.delete(key);
      throw err;
    }
  }

  private async open(
    target: SseServerTarget,
    ref: SseSessionRef,
    signal: AbortSignal,
    key: string,
    bare: boolean,
  ): Promise<LegacySseConnection> {
    const conn = await LegacySseConnection.open(target, signal, (c) => {
      const entry = this.entries.get(key);
      if (entry?.settled === c) this.drop(key, entry);
    });
    if (bare) return conn;
    try {
      // The SDK (and zod) load with the first legacy server, not with every proxy (as stdio's).
      const { LATEST_PROTOCOL_VERSION } = await import('@modelcontextprotocol/sdk/types.js');
      const params = {
        ...(ref.initialize as Json),
        protocolVersion: ref.protocolVersion ?? LATEST_PROTOCOL_VERSION,
      };
      const final = await answerOf(
        conn,
        { jsonrpc: '2.0', id: 'tg-init', method: 'initialize', params },
        signal,
      );
      if (!isObject(final.result)) {
        const why = isObject(final.error) ? String(final.error.message) : 'no result';
        throw new SseError('refused', `${target.label} refused initialize: ${why}`);
      }
      if (typeof final.result.protocolVersion === 'string')
        conn.protocolVersion = final.result.protocolVersion;
      await conn.send({ jsonrpc: '2.0', method: 'notifications/initialized' });
      conn.initializedSent = true;
      return conn;
    } catch (err) {
      conn.close();
      throw err;
    }
  }

  /** At the cap, the least recently used idle connection of the server goes; none idle: refused. */
  private makeRoom(target: SseServerTarget): void {
    const mine = [...this.entries].filter(([, e]) => e.registry === target.registry);
    if (mine.length < this.maxPerServer) return;
    const idle = mine
      .filter(([, e]) => e.settled && !e.settled.busy)
      .sort(([, a], [, b]) => (a.settled?.lastUsed ?? 0) - (b.settled?.lastUsed ?? 0));
    const [victim] = idle;
    if (!victim)
      throw new SseError(
        'down',
        `${target.label}: this proxy holds its maximum of ${this.maxPerServer} connections to it, all in use`,
      );
    this.drop(victim[0], victim[1]);
  }

  private watchIdle(key: string, entry: Entry): void {
    const check = () => {
      const conn = entry.settled;
      if (this.entries.get(key) !== entry || !conn) return;
      const quiet = Date.now() - conn.lastUsed;
      if (conn.busy || quiet < entry.idleMs) {
        entry.timer = setTimeout(check, conn.busy ? entry.idleMs : entry.idleMs - quiet);
        entry.timer.unref();
        return;
      }
      this.drop(key, entry);
    };
    entry.timer = setTimeout(check, entry.idleMs);
    entry.timer.unref();
  }

  private drop(key: string, entry: Entry): void {
    if (this.entries.get(key) === entry) this.entries.delete(key);
    clearTimeout(entry.timer);
    entry.settled?.close();
    if (!entry.settled) void entry.conn.then((c) => c.close()).catch(() => undefined);
  }
}

function keyOf(target: SseServerTarget, ref: SseSessionRef): string | undefined {
  return ref.sessionId === undefined ? undefined : `${target.registry}\n${ref.sessionId}`;
}

/**
 * One request on a connection, answered as Streamable HTTP servers do: JSON when its first message
 * is its response, a stream when something precedes the response.
 */
async function exchange(conn: LegacySseConnection, message: Json, signal: AbortSignal): Promise<SseReply> {
  const messages = conn.request(message, signal);
  const first = await messages.next();
  if (first.done) throw new SseError('down', 'the server ended its answer early');
  const streamed = !(first.value.method === undefined && first.value.id === message.id);
  return {
    sessionId: undefined,
    streamed,
    messages: (async function* () {
      yield first.value;
      yield* messages;
    })(),
  };
}

/** A request of the gateway's own, awaited to its response. */
async function answerOf(conn: LegacySseConnection, message: Json, signal: AbortSignal): Promise<Json> {
  let final: Json | undefined;
  for await (const m of conn.request(message, signal))
    if (m.method === undefined && m.id === message.id) final = m;
  if (!final) throw new SseError('down', 'the server sent no answer to initialize');
  return final;
}

async function* iterate(messages: Json[]): AsyncGenerator<Json> {
  yield* messages;
}
