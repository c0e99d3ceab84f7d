import { randomBytes } from 'node:crypto';
import type { ChatResponse } from '../../formats/ir';
import type { PolicyRequest } from '../types';

/**
 * What the caller's `Cache-Control` allows, in HTTP's meaning: `no-store` keeps the exchange out
 * of the cache both ways; `no-cache` forbids answering from the cache but lets the fresh answer be
 * stored (a refresh).
 */
export function cacheDirectives(header: string | undefined): { lookup: boolean; store: boolean } {
  if (!header) return { lookup: true, store: true };
  const tokens = header
    .toLowerCase()
    .split(',')
    .map((t) => t.trim().split('=')[0]);
  if (tokens.includes('no-store')) return { lookup: false, store: false };
  if (tokens.includes('no-cache')) return { lookup: false, store: true };
  return { lookup: true, store: true };
}

/**
 * Why a finished exchange is not stored, or undefined when it is: only a complete, successful answer
 * from the upstream (not one served from the cache), that ended naturally: a reply, tool calls, or a
 * stop sequence the request set. Cut-off (max_tokens), filtered and interrupted answers are not.
 */
export function notStorable(req: Pick<PolicyRequest, 'response' | 'responseContent'>): string | undefined {
  const r = req.response;
  if (!r || r.status !== 200) return 'not a success';
  if (r.cached) return 'served from the cache';
  const content = req.responseContent;
  if (!content) return 'incomplete';
  if (
    content.stopReason !== 'end' &&
    content.stopReason !== 'tool_calls' &&
    content.stopReason !== 'stop_sequence'
  )
    return `stopped on ${content.stopReason}`;
  if (content.content.length === 0) return 'empty';
  return undefined;
}

/** The answer as stored: no usage, since a hit costs no tokens. */
export function toStore(res: ChatResponse): ChatResponse {
  const { usage: _usage, ...rest } = res;
  return structuredClone(rest);
}

/**
 * A stored answer as served: a fresh id in the stored one's style (`chatcmpl-…`, `msg_…`), and zero
 * usage, so the caller and token limits see that no tokens were spent.
 */
export function toServe(stored: ChatResponse): ChatResponse {
  const m = /^(.*[-_])[^-_]*$/.exec(stored.id);
  const id = `${m?.[1] ?? 'cache-'}${randomBytes(12).toString('base64url').replace(/[-_]/g, 'x')}`;
  // A copy: whatever the encoders do with it, the stored answer stays as it was.
  return { ...structuredClone(stored), id, usage: { inputTokens: 0, outputTokens: 0 } };
}
