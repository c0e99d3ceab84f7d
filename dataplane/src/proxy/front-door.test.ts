import { ConfigStore } from '../config/store';
import { createMockAdapter } from '../providers/mock';
import { createLogger } from '../telemetry/logger';
import { createMetrics } from '../telemetry/metrics';
import { proxyClient } from '../testing/proxy-client';
import { consumer, gateway, registry, route } from '../testing/resources';
import { createProxy } from './app';
import { handoffTable, splitHandoff, type HandedOff, type Handoff, type HandoffRuntime } from './front-door';

describe('splitHandoff', () => {
  it.each([
    ['/app/mcp', { consumer: 'app', segment: 'mcp', rest: '' }],
    ['/app/a2a/planner', { consumer: 'app', segment: 'a2a', rest: '/planner' }],
    ['/app/a2a/planner/tasks', { consumer: 'app', segment: 'a2a', rest: '/planner/tasks' }],
    ['/app/', undefined],
    ['//mcp', undefined],
    ['/mcp', undefined],
  ])('%s', (path, expected) => {
    expect(splitHandoff(path)).toEqual(expected);
  });
});

describe('handoffTable', () => {
  const rt = {} as HandoffRuntime;
  const noop = () => () => undefined;
  it('refuses the segment the LLM endpoints use, and a segment taken twice', () => {
    expect(() => handoffTable([{ segment: 'v1', create: noop }], rt)).toThrow(/reserved or taken/);
    expect(() =>
      handoffTable(
        [
          { segment: 'mcp', create: noop },
          { segment: 'mcp', create: noop },
        ],
        rt,
      ),
    ).toThrow(/reserved or taken/);
  });

  it('refuses a prefix that is not an absolute path, ends with a slash or lies under /v1', () => {
    for (const prefix of ['.well-known', '/x/', '/v1', '/v1/x']) {
      expect(() => handoffTable([{ prefix, create: noop }], rt)).toThrow(/must start with/);
    }
  });

  it('routes a prefix by whole segments, before the consumer segments', () => {
    const route = handoffTable(
      [
        { segment: 'mcp', create: noop },
        { prefix: '/.well-known/meta', create: noop },
      ],
      rt,
    );
    expect(route('/.well-known/meta')?.to).toEqual({
      consumer: undefined,
      rest: '',
      path: '/.well-known/meta',
    });
    expect(route('/.well-known/meta/app/mcp')?.to).toEqual({
      consumer: undefined,
      rest: '/app/mcp',
      path: '/.well-known/meta/app/mcp',
    });
    expect(route('/.well-known/metadata')).toBeUndefined();
    expect(route('/app/mcp')?.to).toEqual({ consumer: 'app', rest: '', path: '/app/mcp' });
  });
});

/** A module mounted with one table entry gets its requests; the LLM endpoints are unaffected. */
describe('the front door hands off by path segment', () => {
  const seen: HandedOff[] = [];
  let created = 0;
  const echo: Handoff = {
    segment: 'echo',
    create: (rt) => {
      created++;
      return (req, res, to) => {
        seen.push(to);
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ ...to, method: req.method, ready: rt.store.ready }));
      };
    },
  };
  const failing: Handoff = {
    segment: 'broken',
    create: () => async () => {
      throw new Error('boom');
    },
  };
  const store = new ConfigStore();
  store.replaceAll([
    gateway('acme'),
    registry('mock', { provider: 'mock', models: ['m1'] }),
    consumer('echo', 'acme', ['sk-app'], [route('m1', ['mock'])]),
  ]);
  store.markSynced();
  const proxy = createProxy({
    store,
    adapters: { mock: createMockAdapter() },
    metrics: createMetrics({ defaultMetrics: false }),
    logger: createLogger({ level: 'silent' }),
    handoffs: [echo, failing],
  });
  const client = proxyClient(proxy.listener);
  afterAll(() => client.close());

  it('builds each handler once, with the runtime the stages share', async () => {
    const res = await client.request('/app/echo/agent/x?q=1', { method: 'PUT' });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      consumer: 'app',
      rest: '/agent/x',
      path: '/app/echo/agent/x',
      method: 'PUT',
      ready: true,
    });
    await client.request('/other/echo');
    expect(created).toBe(1);
    expect(seen.map((s) => s.consumer)).toEqual(['app', 'other']);
  });

  it('the LLM endpoints win over a segment (a consumer named like a handoff)', async () => {
    const res = await client.request('/echo/v1/models', {
      headers: { 'x-ag-gateway-slug': 'acme', authorization: 'Bearer sk-app' },
    });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { data: { id: string }[] }).data.map((m) => m.id)).toEqual(['m1']);
  });

  it("a handler's failure is a 500 in OpenAI's format, not a crash", async () => {
    const res = await client.request('/app/broken');
    expect(res.status).toBe(500);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('internal_error');
  });

  it('an unknown segment is still 404 unknown_url', async () => {
    const res = await client.request('/app/nothing');
    expect(res.status).toBe(404);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('unknown_url');
  });
});
