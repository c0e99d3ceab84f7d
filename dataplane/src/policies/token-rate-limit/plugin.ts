import type { CompiledTokenRateLimit } from '@tollgate/protocol';
import { GatewayError } from '../../errors/errors';
import { keyedBy } from '../rate-limit/key';
import { PER, formatMs, limiterUnavailable } from '../rate-limit/plugin';
import type { Decision } from '../rate-limit/window';
import type { Plugin } from '../types';
import { estimatePromptTokens } from './estimate';
import { setTokenHeaders } from './headers';
import type { TokenLimiter } from './limiter';

/**
 * The `tokenRateLimit` plugin. preRequest refuses (429 `token_rate_limit_exceeded`, Retry-After)
 * when the key's window has no token left or, with `estimatePrompt`, fewer than the prompt's
 * estimate; postResponse charges what the upstream reported using (input + output, streams
 * included). Nothing is charged without reported usage: an upstream error, or an answer a plugin
 * gave instead of the upstream (a cache hit). Model lists are neither checked nor counted.
 */
export function createTokenRateLimit(
  config: CompiledTokenRateLimit,
  policy: string,
  limiter: TokenLimiter,
): Plugin {
  const rule = { limit: config.tokens, windowMs: config.windowMs };
  // Counters belong to the Policy and its window: a new window starts fresh, a new limit does not.
  const keyOf = keyedBy(`tollgate:trl:${policy}:${config.windowMs}:`, config);
  const describe = `${config.tokens} tokens per ${formatMs(config.windowMs)} per ${PER[config.key]}`;
  return {
    name: 'tokenRateLimit',
    async preRequest(req) {
      if (req.operation === 'models') return;
      const chat = config.estimatePrompt ? req.chat() : undefined;
      const estimate = chat ? estimatePromptTokens(chat) : 0;
      const outcome = await limiter.peek(policy, keyOf(req), rule, estimate, config.failureMode);
      if (outcome.kind === 'unavailable') throw limiterUnavailable();
      const d = outcome.decision;
      setTokenHeaders(req.responseHeaders, d);
      if (estimate > config.tokens) throw promptTooLarge(estimate, describe);
      if (!d.allowed) throw tokensExhausted(d, describe, estimate);
    },
    async postResponse(req) {
      if (req.response?.cached || !req.usage) return;
      const used = req.usage.inputTokens + req.usage.outputTokens;
      if (!(used > 0 && Number.isFinite(used))) return;
      await limiter.charge(policy, keyOf(req), rule, used, config.failureMode);
    },
  };
}

function tokensExhausted(d: Decision, describe: string, estimate: number): GatewayError {
  const seconds = Math.max(1, Math.ceil(d.retryAfterMs / 1000));
  const need = estimate > 1 ? ` The prompt needs about ${estimate} tokens; ${d.remaining} are left.` : '';
  return new GatewayError(
    429,
    'token_rate_limit_exceeded',
    `Token rate limit reached (${describe}).${need} Try again in ${seconds}s.`,
    { 'retry-after': String(seconds) },
  );
}

/** No wait helps: a prompt over the whole limit is refused like OpenAI's "Request too large" (no Retry-After). */
function promptTooLarge(estimate: number, describe: string): GatewayError {
  return new GatewayError(
    429,
    'token_rate_limit_exceeded',
    `Request too large: the prompt alone is about ${estimate} tokens, over the token rate limit (${describe}). Shorten it.`,
  );
}
