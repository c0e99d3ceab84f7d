import { errors as undiciErrors } from './undici';
import type { CallAbort } from './abort';
import { createUpstreamAuth } from './auth';
import { sendRequest } from './body';
import { describeFailure } from './failure';
import { UpstreamPools } from './pools';
import { profileFor, type ProviderProfile } from './profiles';
import type { ProviderAdapter, UpstreamCall, UpstreamResponse } from './types';
import { UpstreamError } from './types';

/** Response headers worth relaying, and the name the caller sees them under. */
const RELAYED: Record<string, string> = {
  'content-type': 'content-type',
  'retry-after': 'retry-after',
  'openai-processing-ms': 'openai-processing-ms',
  'x-request-id': 'x-upstream-request-id',
  'request-id': 'x-upstream-request-id',
  'x-amzn-requestid': 'x-upstream-request-id',
  'x-amzn-errortype': 'x-amzn-errortype',
};

type HttpProvider = Parameters<typeof profileFor>[0];

/**
 * The one HTTP adapter every provider uses: the provider's profile (data) says where each API
 * lives and how the credential is sent. Connections are pooled per origin and timeouts and kept
 * alive across config changes.
 */
export function createHttpAdapter(): ProviderAdapter {
  return new HttpAdapter();
}

interface Base {
  origin: string;
  prefix: string;
  host: string;
}

/** A class, so every instance (the warm-up's, the real one) runs the same optimised `send`. */
class HttpAdapter implements ProviderAdapter {
  private readonly pools = new UpstreamPools();
  private readonly auth = createUpstreamAuth();
  private readonly bases = new Map<string, Base>();

  async send(call: UpstreamCall): Promise<UpstreamResponse> {
    const { registry } = call;
    const profile = profileFor(registry.provider as HttpProvider, call.model);
    const base = this.baseOf(registry.baseUrl);
    const path = base.prefix + pathOf(profile, call);
    const method = call.operation === 'models' ? 'GET' : 'POST';
    const headers: Record<string, string> = {
      accept: call.stream && profile.framing === 'sse' ? 'text/event-stream' : 'application/json',
      'x-request-id': call.requestId,
      ...call.forwardHeaders,
    };
    let body: Uint8Array | string | undefined;
    if (method === 'POST') {
      headers['content-type'] = 'application/json';
      body = call.rawBody ?? JSON.stringify(call.body ?? {});
    }
    try {
      const signing = this.auth.apply({
        scheme: profile.auth,
        registry,
        method,
        url: base.origin + path,
        headers,
        body,
      });
      if (signing) await signing;
      const res = await sendRequest(
        this.pools.get(base.origin, registry.timeouts),
        { path, method, headers, body },
        call.signal,
      );
      const relayed: Record<string, string> = {};
      for (const name in RELAYED) {
        const v = res.headers[name];
        if (typeof v === 'string') relayed[RELAYED[name] as string] = v;
      }
      return { status: res.status, headers: relayed, body: res.body };
    } catch (err) {
      throw toUpstreamError(err, call.signal, base.host);
    }
  }

  preconnect(registry: UpstreamCall['registry'], connections: number): Promise<number> {
    return this.pools.preconnect(this.baseOf(registry.baseUrl).origin, registry.timeouts, connections);
  }

  async close(): Promise<void> {
    await this.pools.close();
  }

  private baseOf(url: string): Base {
    let b = this.bases.get(url);
    if (!b) {
      const u = new URL(url);
      const port = u.port || (u.protocol === 'https:' ? '443' : '80');
      b = { origin: u.origin, prefix: u.pathname.replace(/\/$/, ''), host: `${u.hostname}:${port}` };
      this.bases.set(url, b);
    }
    return b;
  }
}

function pathOf(profile: ProviderProfile, call: UpstreamCall): string {
  if (call.countTokens) {
    if (!profile.countTokens) throw new UpstreamError('protocol', 'this provider does not count tokens');
    return profile.countTokens(call.model, false, call.registry);
  }
  if (call.operation === 'embeddings') {
    if (!profile.embeddings) throw new UpstreamError('protocol', 'this provider does not serve embeddings');
    return profile.embeddings(call.model, false, call.registry);
  }
  const endpoint = call.format ? profile.formats[call.format] : undefined;
  if (!endpoint)
    throw new UpstreamError('protocol', `this provider does not speak ${call.format ?? 'that API'}`);
  return endpoint.path(call.model, call.stream, call.registry);
}

/**
 * An adapter failure as an UpstreamError: its kind for retries and health, words for the caller
 * (`host` is the upstream's `host:port`), the raw code for logs.
 */
export function toUpstreamError(err: unknown, signal: CallAbort, host?: string): unknown {
  if (signal.aborted) return err; // the caller's own abort or deadline: the pipeline decides
  if (err instanceof UpstreamError) return err;
  const { message, code } = describeFailure(err, host);
  const options = code === undefined ? { cause: err } : { cause: err, code };
  if (isTimeoutError(err)) return new UpstreamError('timeout', message, options);
  if (code !== undefined) return new UpstreamError('connect', message, options);
  return new UpstreamError('protocol', message, options);
}

/** undici's connect, headers and body timeouts: one kind of failure for retries, health and probes. */
export function isTimeoutError(err: unknown): err is Error {
  return (
    err instanceof undiciErrors.ConnectTimeoutError ||
    err instanceof undiciErrors.HeadersTimeoutError ||
    err instanceof undiciErrors.BodyTimeoutError
  );
}
