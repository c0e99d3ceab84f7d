import { Agent, errors as undiciErrors, request } from 'undici';
import type { CompiledRegistry } from '@tollgate/protocol';
import type { CallAbort } from '@tollgate/dataplane/providers/abort';
import { CallAbort as Abort } from '@tollgate/dataplane/providers/abort';
import { UpstreamError, type UpstreamResponse } from '@tollgate/dataplane/providers/types';
import { dispatch, type Attempt } from '@tollgate/dataplane/routing/dispatch';
import { HealthRegistry, healthKey } from '@tollgate/dataplane/routing/health';
import { buildSnapshot } from '@tollgate/dataplane/config/snapshot';
import { consumer, gateway, registry } from '@tollgate/dataplane/testing/resources';
import {
  refusingPort,
  startMockOpenAIUpstream,
  type MockOpenAIUpstream,
} from '@tollgate/dataplane/testing/mock-openai-upstream';

/**
 * `dispatch` over real sockets: real HTTP mock upstreams that fail, hang, refuse or die mid-stream,
 * called with undici as an adapter calls them. Until the request path calls `dispatch`, this is
 * where failover is tested end to end.
 */
const agent = new Agent({ headersTimeout: 2_000, bodyTimeout: 2_000, connect: { timeout: 1_000 } });

/** One try, as the OpenAI adapter sends it; failures before a response become UpstreamError. */
async function send(a: Attempt, signal: CallAbort, stream = false): Promise<UpstreamResponse> {
  try {
    const res = await request(`${a.target.registry.baseUrl}/chat/completions`, {
      method: 'POST',
      dispatcher: agent,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-4o-mini', stream, messages: [{ role: 'user', content: 'hi' }] }),
      signal: signal.toSignal(),
    });
    const headers: Record<string, string> = {};
    for (const name of ['content-type', 'retry-after']) {
      const v = res.headers[name];
      if (typeof v === 'string') headers[name] = v;
    }
    return { status: res.statusCode, headers, body: res.body };
  } catch (err) {
    if (signal.aborted) throw err;
    if (err instanceof undiciErrors.HeadersTimeoutError || err instanceof undiciErrors.ConnectTimeoutError)
      throw new UpstreamError('timeout', err.message);
    const code = (err as { code?: unknown }).code;
    throw new UpstreamError(typeof code === 'string' ? 'connect' : 'protocol', String(err));
  }
}

async function text(body: AsyncIterable<Uint8Array>): Promise<string> {
  let s = '';
  for await (const c of body) s += Buffer.from(c).toString();
  return s;
}

let primary: MockOpenAIUpstream;
let secondary: MockOpenAIUpstream;
let deadPort: number;

beforeAll(async () => {
  [primary, secondary, deadPort] = await Promise.all([
    startMockOpenAIUpstream(),
    startMockOpenAIUpstream(),
    refusingPort(),
  ]);
});
afterAll(async () => {
  await Promise.all([primary.close(), secondary.close(), agent.close()]);
});
beforeEach(() => {
  primary.behave({ kind: 'ok', reply: 'from primary' });
  secondary.behave({ kind: 'ok', reply: 'from secondary' });
  primary.requests.length = 0;
  secondary.requests.length = 0;
});

/** primary (priority 0) → secondary (priority 1), the consumer's retry policy as given. */
function setup(options: { first?: string; retry?: { perTryTimeoutMs?: number; attempts?: number } } = {}) {
  const reg = (name: string, url: string): CompiledRegistry =>
    registry(name, {
      baseUrl: url,
      healthCheck: { passive: { consecutiveFailures: 3, ejectionMs: 60_000 } },
    }).body;
  const snapshot = buildSnapshot(
    [
      gateway('g'),
      {
        kind: 'Registry',
        name: 'default/primary',
        version: '1',
        body: reg('primary', options.first ?? primary.url),
      },
      { kind: 'Registry', name: 'default/secondary', version: '1', body: reg('secondary', secondary.url) },
      consumer(
        'c',
        'g',
        ['k'],
        [
          {
            model: 'gpt-4o-mini',
            strategy: 'LatencyAware',
            targets: [
              { registry: 'default/primary', weight: 1, priority: 0 },
              { registry: 'default/secondary', weight: 1, priority: 1 },
            ],
          },
        ],
        {
          retry: {
            attempts: options.retry?.attempts ?? 3,
            backoffMs: 10,
            retryOn: ['ConnectError', 'Timeout', 'RateLimited', 'ServerError'],
            ...(options.retry?.perTryTimeoutMs ? { perTryTimeoutMs: options.retry.perTryTimeoutMs } : {}),
          },
        },
      ),
    ],
    1,
  );
  const c = snapshot.gatewaysBySlug.get('g')?.consumersBySlug.get('c');
  const route = c?.routes.get('gpt-4o-mini');
  if (!c || !route) throw new Error('fixture');
  const health = new HealthRegistry();
  const run = (stream = false) =>
    dispatch(
      route,
      c,
      { clientIp: '127.0.0.1', random: Math.random, signal: new Abort(), deadlineAt: health.now() + 3_000 },
      (a, signal) => send(a, signal, stream),
      health,
    );
  return { run, health };
}

describe('failover over real HTTP', () => {
  it('a 5xx from the primary falls back to the secondary', async () => {
    primary.behave({ kind: 'status', status: 503 });
    const r = await setup().run();
    expect(r.target.registryName).toBe('default/secondary');
    expect(r.attempts).toBe(2);
    expect(await text(r.response.body)).toContain('from secondary');
  });

  it('a refused connection falls back', async () => {
    const r = await setup({ first: `http://127.0.0.1:${deadPort}/v1` }).run();
    expect(r.target.registryName).toBe('default/secondary');
    expect(await text(r.response.body)).toContain('from secondary');
  });

  it('a hanging primary is cut by the per-try timeout and the secondary answers in time', async () => {
    primary.behave({ kind: 'hang' });
    const t0 = Date.now();
    const r = await setup({ retry: { perTryTimeoutMs: 300 } }).run();
    expect(Date.now() - t0).toBeLessThan(1_500);
    expect(r.target.registryName).toBe('default/secondary');
    expect(await text(r.response.body)).toContain('from secondary');
  });

  it('a 429 with a long Retry-After moves on at once', async () => {
    primary.behave({ kind: 'status', status: 429, retryAfter: '30' });
    const t0 = Date.now();
    const r = await setup().run();
    expect(Date.now() - t0).toBeLessThan(1_000);
    expect(r.target.registryName).toBe('default/secondary');
  });

  it('everything failing: the client gets the last upstream error as it is', async () => {
    primary.behave({ kind: 'status', status: 500 });
    secondary.behave({ kind: 'status', status: 502 });
    const r = await setup().run();
    expect(r.attempts).toBe(3);
    expect(r.response.status).toBeGreaterThanOrEqual(500);
    expect(await text(r.response.body)).toContain('mock upstream answered');
  });

  it('after 3 failures the primary is ejected: requests go straight to the secondary', async () => {
    primary.behave({ kind: 'status', status: 500 });
    const { run, health } = setup();
    for (let i = 0; i < 3; i++) await text((await run()).response.body);
    expect(primary.requests).toHaveLength(3);
    const r = await run();
    expect(r.attempts).toBe(1);
    expect(primary.requests).toHaveLength(3);
    const state = health.dump()['default/primary'];
    expect(state).toMatchObject({ healthy: false, upstreams: [{ state: 'open', consecutiveFailures: 3 }] });
  });

  it('a stream that dies after its headers is not retried (bytes may have reached the client)', async () => {
    primary.behave({ kind: 'dieMidStream', afterChunks: 2 });
    const { run, health } = setup();
    const r = await run(true);
    expect(r.target.registryName).toBe('default/primary');
    await expect(text(r.response.body)).rejects.toThrow();
    expect(secondary.requests).toHaveLength(0);
    // counted against the primary's health all the same
    const s = health.get(healthKey('default/primary', 'gpt-4o-mini'), 'default/primary', 'gpt-4o-mini');
    expect(s.consecutiveFailures).toBe(1);
    expect(s.inflight).toBe(0);
  });
});
