import { Pool, errors as undiciErrors } from 'undici';
import type { CompiledRegistry } from '../../../protocol/src';
import type { CallAbort } from './abort';
import type { Operation, ProviderAdapter, UpstreamCall, UpstreamResponse } from './types';
import { UpstreamError } from './types';

const PATHS: Record<Operation, { method: 'GET' | 'POST'; path: string }> = {
  'chat.completions': { method: 'POST', path: '/chat/completions' },
  embeddings: { method: 'POST', path: '/embeddings' },
  models: { method: 'GET', path: '/models' },
};

/** Response headers worth relaying to the caller. */
const RELAYED = ['content-type', 'retry-after', 'openai-processing-ms', 'x-request-id'];

/**
 * The OpenAI wire adapter: `openai` and every OpenAI-compatible upstream share it and differ only
 * in data (base URL, credential) that compile resolved. Connections are pooled per origin and
 * kept alive across config changes.
 */
export function createOpenAIAdapter(): ProviderAdapter {
  const pools = new Map<string, Pool>();

  // Timeouts live on the pool, not on each request: per-request timeouts cost a timer each.
  function poolFor(origin: string, t: CompiledRegistry['timeouts']): Pool {
    const key = `${origin}|${t.connectMs}|${t.requestMs}|${t.idleMs}`;
    let pool = pools.get(key);
    if (!pool) {
      pool = new Pool(origin, {
        connect: { timeout: t.connectMs },
        headersTimeout: t.requestMs,
        bodyTimeout: t.idleMs,
        keepAliveTimeout: 30_000,
      });
      pools.set(key, pool);
    }
    return pool;
  }
  const bases = new Map<string, { origin: string; prefix: string }>();
  function baseOf(url: string): { origin: string; prefix: string } {
    let b = bases.get(url);
    if (!b) {
      const u = new URL(url);
      b = { origin: u.origin, prefix: u.pathname.replace(/\/$/, '') };
      bases.set(url, b);
    }
    return b;
  }

  return {
    async send(call: UpstreamCall): Promise<UpstreamResponse> {
      const { registry } = call;
      const base = baseOf(registry.baseUrl);
      const op = PATHS[call.operation];
      const headers: Record<string, string> = {
        accept: call.stream ? 'text/event-stream' : 'application/json',
        'x-request-id': call.requestId,
      };
      if (registry.apiKey) headers.authorization = `Bearer ${registry.apiKey}`;
      let body: Uint8Array | string | undefined;
      if (op.method === 'POST') {
        headers['content-type'] = 'application/json';
        // Fast path: the caller's bytes go through untouched unless the model name changes.
        body =
          call.rawBody && call.body?.model === call.model
            ? call.rawBody
            : JSON.stringify({ ...call.body, model: call.model });
      }
      try {
        const res = await poolFor(base.origin, registry.timeouts).request({
          path: base.prefix + op.path,
          method: op.method,
          headers,
          body,
          signal: call.signal,
        });
        const relayed: Record<string, string> = {};
        for (const name of RELAYED) {
          const v = res.headers[name];
          if (typeof v === 'string') relayed[name === 'x-request-id' ? 'x-upstream-request-id' : name] = v;
        }
        return { status: res.statusCode, headers: relayed, body: res.body };
      } catch (err) {
        throw toUpstreamError(err, call.signal);
      }
    },
    async close(): Promise<void> {
      const all = [...pools.values()];
      pools.clear();
      await Promise.all(all.map((p) => p.close().catch(() => undefined)));
    },
  };
}

export function toUpstreamError(err: unknown, signal: CallAbort): unknown {
  if (signal.aborted) return err; // the caller's own abort or deadline: the pipeline decides
  if (
    err instanceof undiciErrors.ConnectTimeoutError ||
    err instanceof undiciErrors.HeadersTimeoutError ||
    err instanceof undiciErrors.BodyTimeoutError
  ) {
    return new UpstreamError('timeout', err.message, { cause: err });
  }
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string') {
    return new UpstreamError('connect', `${code}`, { cause: err });
  }
  return new UpstreamError('protocol', err instanceof Error ? err.message : String(err), { cause: err });
}
