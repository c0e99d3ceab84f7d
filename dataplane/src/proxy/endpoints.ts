import type { Operation } from '../providers/types';

/** One of the proxy's routes; the front door (the Node listener of app.ts) serves this table. */
export interface Endpoint {
  /** The path after `/{consumer}`, and the whole path in key-only addressing; `:id` is one segment. */
  rest: string;
  method: 'GET' | 'POST';
  /** The inbound API: what the adapters and policies see, and the format of errors. */
  op: Operation;
  /** Endpoints answered beside the main pipeline: one model, or a token count. */
  kind?: 'retrieve' | 'countTokens';
}

export const ENDPOINTS: readonly Endpoint[] = [
  { rest: '/v1/chat/completions', method: 'POST', op: 'chat.completions' },
  { rest: '/v1/messages', method: 'POST', op: 'messages' },
  { rest: '/v1/messages/count_tokens', method: 'POST', op: 'messages', kind: 'countTokens' },
  { rest: '/v1/responses', method: 'POST', op: 'responses' },
  { rest: '/v1/embeddings', method: 'POST', op: 'embeddings' },
  { rest: '/v1/models', method: 'GET', op: 'models' },
  { rest: '/v1/models/:id', method: 'GET', op: 'models', kind: 'retrieve' },
];

/** A request path resolved: its endpoint, the consumer slug in it (none: key-only), the `:id`. */
export interface MatchedPath {
  ep: Endpoint;
  consumer: string | undefined;
  id: string | undefined;
}

const ID = '/:id';
const FIXED = new Map(ENDPOINTS.filter((e) => !e.rest.endsWith(ID)).map((e) => [e.rest, e]));
const WITH_ID = ENDPOINTS.filter((e) => e.rest.endsWith(ID)).map((ep) => ({
  ep,
  prefix: ep.rest.slice(0, -ID.length + 1),
}));

/**
 * The Node listener's router: `/{consumer}{rest}` first, then `{rest}` alone (key-only). The two
 * never overlap, since every `rest` starts with `/v1/` and none has `v1` as its second segment. An
 * `:id` is percent-decoded.
 */
export function matchPath(path: string): MatchedPath | undefined {
  const slash = path.indexOf('/', 1);
  // Properties listed, not spread: V8 copies a spread followed by more properties on a slow path
  // (~0.5 µs here, on every request).
  if (slash > 1) {
    const m = matchRest(path.slice(slash));
    if (m) return { ep: m.ep, consumer: path.slice(1, slash), id: m.id };
  }
  const m = matchRest(path);
  return m && { ep: m.ep, consumer: undefined, id: m.id };
}

function matchRest(rest: string): { ep: Endpoint; id: string | undefined } | undefined {
  const ep = FIXED.get(rest);
  if (ep) return { ep, id: undefined };
  for (const w of WITH_ID) {
    if (!rest.startsWith(w.prefix)) continue;
    const raw = rest.slice(w.prefix.length);
    if (raw === '' || raw.includes('/')) continue;
    try {
      return { ep: w.ep, id: decodeURIComponent(raw) };
    } catch {
      return undefined; // malformed escapes: no such URL
    }
  }
  return undefined;
}
