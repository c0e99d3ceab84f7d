import { readWhole } from '../providers/body';
import { UpstreamPools } from '../providers/pools';
import type { CompiledRegistry } from '@tollgate/protocol';
import { agentUnreachable } from './failures';

/**
 * The proxy's side of an A2A agent: JSON-RPC POSTs to the registry's baseUrl and card GETs from
 * baseUrl + cardPath, with the registry's credential (`Authorization: Bearer`) and headers, over
 * pooled connections with the registry's timeouts (connect; request = to the response headers;
 * idle = longest silence in a body). Cards are kept `cardCacheTtlMs` per registry body, so a new
 * config starts with fresh ones.
 */

export interface AgentResponse {
  status: number;
  contentType: string;
  body: AsyncIterable<Uint8Array>;
}

/** Caller headers the agent needs to understand the request (protocol version, extensions). */
const FORWARDED = ['a2a-version', 'a2a-extensions', 'x-a2a-extensions'];

interface CachedCard {
  expiresAt: number;
  status: number;
  body: Buffer;
}

export class AgentClient {
  private readonly pools = new UpstreamPools();
  private readonly cards = new WeakMap<CompiledRegistry, Map<string, CachedCard>>();
  private readonly bases = new Map<string, { origin: string; prefix: string }>();

  constructor(private readonly now: () => number = Date.now) {}

  /** POSTs a JSON-RPC body as it came; the answer is relayed by the caller (streamed or not). */
  async rpc(
    registry: CompiledRegistry,
    raw: Buffer,
    header: (name: string) => string | undefined,
    requestId: string,
    signal: AbortSignal,
  ): Promise<AgentResponse> {
    const headers = this.headersFor(registry, header, requestId);
    headers['content-type'] = 'application/json';
    headers.accept = header('accept') ?? 'application/json, text/event-stream';
    return this.send(registry, '', 'POST', headers, raw, signal);
  }

  /** The agent's card bytes (status and body), from the cache while fresh. */
  async card(
    registry: CompiledRegistry,
    header: (name: string) => string | undefined,
    requestId: string,
    signal: AbortSignal,
  ): Promise<{ status: number; body: Buffer }> {
    const a2a = registry.a2a;
    const version = header('a2a-version') ?? '';
    const cache = this.cards.get(registry) ?? new Map<string, CachedCard>();
    this.cards.set(registry, cache);
    const hit = cache.get(version);
    if (hit && hit.expiresAt > this.now()) return hit;
    const headers = this.headersFor(registry, header, requestId);
    headers.accept = 'application/json';
    const res = await this.send(registry, a2a?.cardPath ?? '', 'GET', headers, undefined, signal);
    const body = await readWhole(res.body).catch((err: unknown) => {
      throw agentUnreachable(registry, err, signal);
    });
    const entry = { status: res.status, body, expiresAt: this.now() + (a2a?.cardCacheTtlMs ?? 0) };
    // Only a good card is kept: an agent that failed is asked again next time.
    if (res.status === 200 && entry.expiresAt > this.now()) cache.set(version, entry);
    return entry;
  }

  async close(): Promise<void> {
    await this.pools.close();
  }

  private headersFor(
    registry: CompiledRegistry,
    header: (name: string) => string | undefined,
    requestId: string,
  ): Record<string, string> {
    const headers: Record<string, string> = { 'x-request-id': requestId };
    for (const name of FORWARDED) {
      const v = header(name);
      if (v !== undefined) headers[name] = v;
    }
    Object.assign(headers, registry.a2a?.headers);
    if (registry.apiKey !== undefined) headers.authorization = `Bearer ${registry.apiKey}`;
    return headers;
  }

  private async send(
    registry: CompiledRegistry,
    suffix: string,
    method: 'GET' | 'POST',
    headers: Record<string, string>,
    body: Buffer | undefined,
    signal: AbortSignal,
  ): Promise<AgentResponse> {
    const base = this.baseOf(registry.baseUrl);
    const path = (base.prefix || '') + suffix || '/';
    try {
      const res = await this.pools.get(base.origin, registry.timeouts).request({
        path,
        method,
        headers,
        body,
        signal,
      });
      const type = res.headers['content-type'];
      return { status: res.statusCode, contentType: typeof type === 'string' ? type : '', body: res.body };
    } catch (err) {
      throw agentUnreachable(registry, err, signal);
    }
  }

  private baseOf(url: string): { origin: string; prefix: string } {
    let b = this.bases.get(url);
    if (!b) {
      const u = new URL(url);
      b = { origin: u.origin, prefix: u.pathname.replace(/\/$/, '') };
      this.bases.set(url, b);
    }
    return b;
  }
}
