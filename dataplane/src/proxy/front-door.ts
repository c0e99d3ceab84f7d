import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ProxyRuntime } from './runtime';

/** Where a handed-off request is addressed: `/{consumer}/{segment}{rest}`. */
export interface HandedOff {
  consumer: string;
  /** The path after `/{consumer}/{segment}` (may be empty), without the query. */
  rest: string;
  /** The whole request path, without the query. */
  path: string;
}

export type HandoffHandler = (
  req: IncomingMessage,
  res: ServerResponse,
  to: HandedOff,
) => void | Promise<void>;

/**
 * A route the front door hands to another module (MCP at `/{consumer}/mcp`, A2A at
 * `/{consumer}/a2a/{agent}`): a request whose second path segment is `segment` goes to the handler
 * `create` builds once per proxy, with what the request path shares (config store, policies,
 * adapters, metrics, logger). The LLM endpoints (ENDPOINTS) are matched first, so a segment can
 * never shadow one (they all start with `v1`).
 */
export interface Handoff {
  segment: string;
  create(rt: ProxyRuntime): HandoffHandler;
}

/** The modules the proxy hands requests to: adding one is adding an entry here. */
export const HANDOFFS: readonly Handoff[] = [];

/** The handlers of `handoffs` by segment, built once per proxy. */
export function handoffTable(handoffs: readonly Handoff[], rt: ProxyRuntime): Map<string, HandoffHandler> {
  const table = new Map<string, HandoffHandler>();
  for (const h of handoffs) {
    if (h.segment === 'v1' || h.segment.includes('/') || table.has(h.segment))
      throw new Error(`handoff segment '${h.segment}' is reserved or taken`);
    table.set(h.segment, h.create(rt));
  }
  return table;
}

/** `/{consumer}/{segment}{rest}` split, when the path has that shape. */
export function splitHandoff(path: string): { consumer: string; segment: string; rest: string } | undefined {
  const slash = path.indexOf('/', 1);
  if (slash <= 1) return undefined;
  const end = path.indexOf('/', slash + 1);
  const segment = end === -1 ? path.slice(slash + 1) : path.slice(slash + 1, end);
  if (segment === '') return undefined;
  return { consumer: path.slice(1, slash), segment, rest: end === -1 ? '' : path.slice(end) };
}
