import type { CallAbort } from '../providers/abort';
import { CallAbort as Abort } from '../providers/abort';
import { UpstreamError, type UpstreamResponse } from '../providers/types';
import { GatewayError, errors } from '../errors/errors';
import type { CompiledCondition } from '@tollgate/protocol';
import { buildSnapshot, narrowRoute } from '../config/snapshot';
import { consumer, gateway, registry } from '../testing/resources';
import { routeOf, seeded, type TargetSpec } from '../testing/routing';
import { dispatch, type Attempt, type DispatchContext } from './dispatch';
import { HealthRegistry, healthKey } from './health';

type Behaviour = (signal: CallAbort) => Promise<UpstreamResponse>;

function response(status: number, headers: Record<string, string> = {}, text = `{"status":${status}}`) {
  const state = { drained: false };
  const res: UpstreamResponse = {
    status,
    headers: { 'content-type': 'application/json', ...headers },
    body: (async function* () {
      yield new TextEncoder().encode(text);
      state.drained = true;
    })(),
  };
  return Object.assign(res, { state });
}

const ok = (): Behaviour => () => Promise.resolve(response(200));
const status =
  (s: number, headers: Record<string, string> = {}): Behaviour =>
  () =>
    Promise.resolve(response(s, headers));
const refuse = (): Behaviour => () => Promise.reject(new UpstreamError('connect', 'ECONNREFUSED'));
/** Never answers; rejects like undici when the signal fires. */
const hang = (): Behaviour => (signal) =>
  new Promise((_, reject) => signal.once('abort', () => reject(new Error('aborted'))));
/** Never answers and ignores the signal. */
const deaf = (): Behaviour => () => new Promise(() => undefined);

interface Harness {
  calls: string[];
  responses: ReturnType<typeof response>[];
  health: HealthRegistry;
  run(overrides?: Partial<DispatchContext>): ReturnType<typeof dispatch>;
}

/** A route over registries whose behaviour is a queue per registry (the last one repeats). */
function harness(
  specs: TargetSpec[],
  behaviours: Record<string, Behaviour[]>,
  options: Parameters<typeof routeOf>[1] & { health?: HealthRegistry } = {},
): Harness {
  const { route, consumer } = routeOf(specs, options);
  const health = options.health ?? new HealthRegistry();
  const calls: string[] = [];
  const responses: ReturnType<typeof response>[] = [];
  const send = async (a: Attempt, signal: CallAbort) => {
    const name = a.target.registryName.replace('default/', '');
    calls.push(name);
    const queue = behaviours[name] ?? [ok()];
    const b = queue.length > 1 ? queue.shift() : queue[0];
    if (!b) throw new Error(`no behaviour for ${name}`);
    const r = await b(signal);
    responses.push(r as ReturnType<typeof response>);
    return r;
  };
  return {
    calls,
    responses,
    health,
    run: (overrides = {}) =>
      dispatch(
        route,
        consumer,
        {
          clientIp: '10.0.0.1',
          random: seeded(1),
          signal: new Abort(),
          deadlineAt: health.now() + 5_000,
          ...overrides,
        },
        send,
        health,
      ),
  };
}

async function text(r: UpstreamResponse): Promise<string> {
  let s = '';
  for await (const c of r.body) s += Buffer.from(c).toString();
  return s;
}

const eject = (health: HealthRegistry, registry: string, model = 'chat') => {
  const s = health.get(healthKey(`default/${registry}`, model), `default/${registry}`, model);
  for (let i = 0; i < 5; i++)
    health.record(s, 'failure', false, { consecutiveFailures: 5, ejectionMs: 60_000 });
  return s;
};

describe('dispatch', () => {
  it('success at once: one try, the response as it is', async () => {
    const h = harness([{ registry: 'a' }], {});
    const r = await h.run();
    expect(r.attempts).toBe(1);
    expect(r.target.registryName).toBe('default/a');
    expect(await text(r.response)).toBe('{"status":200}');
  });

  it('falls back to the next priority group, draining the failed body', async () => {
    const h = harness([{ registry: 'a' }, { registry: 'b', priority: 1 }], { a: [status(503)] });
    const r = await h.run();
    expect(h.calls).toEqual(['a', 'b']);
    expect(r).toMatchObject({ attempts: 2, response: { status: 200 } });
    await new Promise((resolve) => setImmediate(resolve));
    expect(h.responses[0]?.state.drained).toBe(true);
  });

  it('tries another member of the same group before the next group', async () => {
    const h = harness(
      [{ registry: 'a' }, { registry: 'b' }, { registry: 'c', priority: 1 }],
      { a: [refuse()], b: [refuse()] },
      { strategy: 'RoundRobin' },
    );
    const r = await h.run();
    expect(h.calls).toEqual(['a', 'b', 'c']);
    expect(r.attempts).toBe(3);
  });

  it('retries a 429 on the only target after its Retry-After, then succeeds', async () => {
    const h = harness([{ registry: 'a' }], { a: [status(429, { 'retry-after': '0' }), ok()] });
    const r = await h.run();
    expect(h.calls).toEqual(['a', 'a']);
    expect(r).toMatchObject({ attempts: 2, response: { status: 200 } });
  });

  it('a Retry-After beyond the budget: no wait, the 429 is returned', async () => {
    const h = harness([{ registry: 'a' }], { a: [status(429, { 'retry-after': '60' }), ok()] });
    const t0 = Date.now();
    const r = await h.run();
    expect(Date.now() - t0).toBeLessThan(1000);
    expect(h.calls).toEqual(['a']);
    expect(r.response.status).toBe(429);
  });

  it('a Retry-After beyond the budget does not hold back another target', async () => {
    const h = harness([{ registry: 'a' }, { registry: 'b', priority: 1 }], {
      a: [status(429, { 'retry-after': '60' })],
    });
    const r = await h.run();
    expect(h.calls).toEqual(['a', 'b']);
    expect(r.response.status).toBe(200);
  });

  it('all tries fail with responses: the last response is returned as it is', async () => {
    const h = harness([{ registry: 'a' }, { registry: 'b' }], { a: [status(500)], b: [status(502)] });
    const r = await h.run();
    expect(h.calls).toHaveLength(3);
    expect(r.attempts).toBe(3);
    expect(await text(r.response)).toBe(`{"status":${r.response.status}}`);
  });

  it('all tries fail with errors: the last error is thrown', async () => {
    const h = harness([{ registry: 'a' }], { a: [refuse()] }, { retry: { attempts: 4 } });
    await expect(h.run()).rejects.toMatchObject({ name: 'UpstreamError', kind: 'connect' });
    expect(h.calls).toEqual(['a', 'a', 'a', 'a']);
  });

  it('never retries a GatewayError from send', async () => {
    const h = harness([{ registry: 'a' }, { registry: 'b' }], {
      a: [() => Promise.reject(errors.badRequest('cannot translate'))],
      b: [() => Promise.reject(errors.badRequest('cannot translate'))],
    });
    await expect(h.run()).rejects.toBeInstanceOf(GatewayError);
    expect(h.calls).toHaveLength(1);
  });

  it('retries only the failure kinds the consumer lists', async () => {
    const h = harness(
      [{ registry: 'a' }, { registry: 'b' }],
      { a: [status(503)], b: [status(503)] },
      {
        retry: { retryOn: ['ConnectError'] },
      },
    );
    const r = await h.run();
    expect(h.calls).toHaveLength(1);
    expect(r.response.status).toBe(503);
  });

  it('does not retry a 4xx other than 429', async () => {
    const h = harness([{ registry: 'a' }, { registry: 'b' }], { a: [status(400)], b: [status(400)] });
    expect((await h.run()).response.status).toBe(400);
    expect(h.calls).toHaveLength(1);
  });

  it('a per-try timeout moves on to the next target', async () => {
    const h = harness(
      [{ registry: 'a' }, { registry: 'b', priority: 1 }],
      { a: [hang()] },
      {
        retry: { perTryTimeoutMs: 30 },
      },
    );
    const r = await h.run();
    expect(h.calls).toEqual(['a', 'b']);
    expect(r.response.status).toBe(200);
  });

  it('a per-try timeout holds even when send ignores its signal, and becomes UpstreamError(timeout)', async () => {
    const h = harness([{ registry: 'a' }], { a: [deaf()] }, { retry: { perTryTimeoutMs: 20, attempts: 2 } });
    await expect(h.run()).rejects.toMatchObject({ name: 'UpstreamError', kind: 'timeout' });
    expect(h.calls).toEqual(['a', 'a']);
  });

  it('stops when the request is aborted, rethrowing what send threw', async () => {
    const signal = new Abort();
    const h = harness([{ registry: 'a' }, { registry: 'b' }], { a: [hang()], b: [hang()] });
    setTimeout(() => signal.abort('client gone'), 20);
    await expect(h.run({ signal })).rejects.toThrow();
    expect(h.calls).toHaveLength(1);
  });

  it('skips ejected targets, within and across groups', async () => {
    const h = harness(
      [{ registry: 'a' }, { registry: 'b' }, { registry: 'c', priority: 1 }],
      {},
      { strategy: 'RoundRobin' },
    );
    eject(h.health, 'a');
    for (let i = 0; i < 4; i++) await h.run();
    expect(h.calls).toEqual(['b', 'b', 'b', 'b']);
    eject(h.health, 'b');
    await h.run();
    expect(h.calls.at(-1)).toBe('c');
  });

  it('panic mode: every target ejected, the least recently ejected is still tried', async () => {
    let now = 0;
    const health = new HealthRegistry({ now: () => now });
    const h = harness([{ registry: 'a' }, { registry: 'b', priority: 1 }], {}, { health });
    eject(health, 'b');
    now = 10;
    eject(health, 'a');
    const r = await h.run();
    expect(h.calls).toEqual(['b']);
    expect(r.response.status).toBe(200);
    // its success closed b's breaker
    expect(health.available(health.get(healthKey('default/b', 'chat'), 'default/b', 'chat'))).toBe(true);
  });

  it('feeds health: consecutive 5xx across requests eject the upstream, and retries are counted', async () => {
    const retried: string[] = [];
    const health = new HealthRegistry({ listener: { retried: (r, why) => retried.push(`${r} ${why}`) } });
    const h = harness([{ registry: 'a' }, { registry: 'b', priority: 1 }], { a: [status(500)] }, { health });
    for (let i = 0; i < 5; i++) await h.run();
    expect(h.calls.filter((c) => c === 'a')).toHaveLength(5);
    await h.run();
    expect(h.calls.at(-1)).toBe('b');
    expect(h.calls.filter((c) => c === 'a')).toHaveLength(5);
    expect(retried).toEqual(Array(5).fill('default/a ServerError'));
  });

  it('counts a request in flight until its body ends', async () => {
    const h = harness([{ registry: 'a' }], {});
    const r = await h.run();
    const s = h.health.get(healthKey('default/a', 'chat'), 'default/a', 'chat');
    expect(s.inflight).toBe(1);
    await text(r.response);
    expect(s.inflight).toBe(0);
    expect(s.ewmaMs).toBeDefined();
  });

  it('waits the backoff only before the same target again, within the budget', async () => {
    const h = harness(
      [{ registry: 'a' }],
      { a: [status(503), status(503), ok()] },
      { retry: { backoffMs: 40 } },
    );
    const t0 = Date.now();
    const r = await h.run();
    expect(r.attempts).toBe(3);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(20 + 40 - 5); // ≥ half of 40, then half of 80
  });

  it('no retry once the deadline has passed', async () => {
    const h = harness([{ registry: 'a' }, { registry: 'b' }], { a: [status(503)], b: [status(503)] });
    const r = await h.run({ deadlineAt: h.health.now() - 1 });
    expect(h.calls).toHaveLength(1);
    expect(r.response.status).toBe(503);
  });

  it('catch-all: skips targets that do not serve the model; health per upstream model', async () => {
    const h = harness(
      [
        { registry: 'a', models: ['m1'] },
        { registry: 'b', priority: 1 },
      ],
      {},
      { model: '*' },
    );
    await h.run({ model: 'm2' });
    await h.run({ model: 'm1' });
    expect(h.calls).toEqual(['b', 'a']);
    expect(Object.keys(h.health.dump()).sort()).toEqual(['default/a', 'default/b']);
    expect(h.health.dump()['default/b']?.upstreams.map((u) => u.model)).toEqual(['m1', 'm2']);
  });

  it('catch-all: names callers choose are held within the cap; a configured route keeps its state', async () => {
    const health = new HealthRegistry({ maxTracked: 50 });
    const configured = harness([{ registry: 'a', model: 'fixed' }], { a: [status(500), ok()] }, { health });
    await text((await configured.run({ model: 'chat' })).response); // a failure, then a success
    const before = health.get(healthKey('default/a', 'fixed'), 'default/a', 'fixed');
    const h = harness([{ registry: 'a', models: [] }], { a: [status(500)] }, { model: '*', health });
    // Every name fails (so none is forgotten as idle): eviction must still hold the bound.
    for (let i = 0; i < 500; i++) await text((await h.run({ model: `name-${i}` })).response);
    expect(health.size).toBeLessThanOrEqual(50);
    expect(health.get(healthKey('default/a', 'fixed'), 'default/a', 'fixed')).toBe(before);
  });

  it('404 when no target serves the model, 503 for an empty route', async () => {
    const h = harness([{ registry: 'a', models: ['m1'] }], {}, { model: '*' });
    await expect(h.run({ model: 'nope' })).rejects.toMatchObject({ status: 404 });
    const { route, consumer } = routeOf([{ registry: 'a', weight: 0 }]);
    await expect(
      dispatch(
        route,
        consumer,
        { clientIp: undefined, random: Math.random, signal: new Abort(), deadlineAt: Infinity },
        () => Promise.resolve(response(200)),
        new HealthRegistry(),
      ),
    ).rejects.toMatchObject({ status: 503 });
  });
});

describe('dispatch: conditional targets and narrowed routes', () => {
  /** Targets a..d: a needs x-tier gold (priority 0), b needs metadata.tier silver (1), c none (2). */
  const conditional: TargetFixture[] = [
    { registry: 'a', match: [{ header: 'x-tier', values: ['gold'] }] },
    { registry: 'b', priority: 1, match: [{ field: 'metadata.tier', values: ['silver'] }] },
    { registry: 'c', priority: 2 },
  ];
  const gold = { 'x-tier': 'gold' };

  it('a header condition admits its target; without the header the target is skipped', async () => {
    const h = fixture(conditional, {});
    await h.run({ headers: gold });
    await h.run({ headers: {} });
    expect(h.calls).toEqual(['a', 'c']);
  });

  it('a body field condition admits its target', async () => {
    const h = fixture(conditional, {});
    await h.run({ body: { model: 'chat', metadata: { tier: 'silver' } } });
    await h.run({ body: { model: 'chat', metadata: { tier: 'gold' } } });
    expect(h.calls).toEqual(['b', 'c']);
  });

  it('fallback never reaches a target whose conditions failed', async () => {
    const h = fixture(conditional, { a: [status(503)] });
    const r = await h.run({ headers: gold, body: { metadata: { tier: 'bronze' } } });
    expect(h.calls).toEqual(['a', 'c']);
    expect(r.target.registryName).toBe('default/c');
  });

  it('evaluates the conditions once per request, not per try', async () => {
    const h = fixture(
      [
        { registry: 'a', match: [{ header: 'x-tier', values: ['gold'] }] },
        { registry: 'b', match: [{ header: 'x-tier', values: ['gold'] }] },
      ],
      { a: [status(503)], b: [status(503)] },
    );
    const asked: string[] = [];
    const r = await h.run({ headers: { 'x-tier': 'gold' }, asked });
    expect(h.calls).toHaveLength(3);
    expect(r.attempts).toBe(3);
    expect(asked).toEqual(['x-tier', 'x-tier']);
  });

  it('503 no_eligible_target naming the model when no target admits the request, nothing sent', async () => {
    const h = fixture(conditional.slice(0, 2), {});
    const err: unknown = await h.run({ headers: { 'x-tier': 'silver' } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GatewayError);
    expect(err).toMatchObject({ status: 503, code: 'no_eligible_target' });
    expect((err as GatewayError).message).toContain("'chat'");
    expect((err as GatewayError).message).toContain('match conditions');
    expect(h.calls).toEqual([]);
  });

  it('an admitted target that does not serve the model is still 404, not 503', async () => {
    const h = fixture(
      [{ registry: 'a', models: ['m1'], match: [{ header: 'x-tier', values: ['gold'] }] }],
      {},
      '*',
    );
    await expect(h.run({ headers: gold, model: 'm2' })).rejects.toMatchObject({
      status: 404,
      code: 'model_not_found',
    });
  });

  it('a route without fallback retries within its first group only', async () => {
    const h = fixture(
      [{ registry: 'a' }, { registry: 'b', priority: 1 }],
      { a: [status(503)] },
      'chat',
      false,
    );
    const r = await h.run();
    expect(h.calls).toEqual(['a', 'a', 'a']);
    expect(r.response.status).toBe(503);
  });

  it('a route without fallback uses its lowest group that has an eligible target', async () => {
    const h = fixture(conditional, { b: [status(500)] }, 'chat', false);
    const r = await h.run({ body: { metadata: { tier: 'silver' } } });
    expect(h.calls).toEqual(['b', 'b', 'b']);
    expect(r.response.status).toBe(500);
  });

  it('a route without fallback whose first group is all ejected tries it anyway (panic), not the next', async () => {
    const h = fixture([{ registry: 'a' }, { registry: 'b', priority: 1 }], {}, 'chat', false);
    eject(h.health, 'a');
    await h.run();
    expect(h.calls).toEqual(['a']);
  });
});

interface TargetFixture {
  registry: string;
  priority?: number;
  models?: string[];
  match?: CompiledCondition[];
}

/** A route over `targets` with conditions, as the proxy builds it; `fallback: false` narrows it as a pool. */
function fixture(
  targets: TargetFixture[],
  behaviours: Record<string, Behaviour[]>,
  model = 'chat',
  fallback = true,
) {
  const names = [...new Set(targets.map((t) => t.registry))];
  const snapshot = buildSnapshot(
    [
      gateway('g'),
      ...names.map((n) => registry(n, { models: targets.find((t) => t.registry === n)?.models ?? [] })),
      consumer(
        'c',
        'g',
        ['k'],
        [
          {
            model,
            strategy: 'RoundRobin',
            targets: targets.map((t) => ({
              registry: `default/${t.registry}`,
              weight: 1,
              priority: t.priority ?? 0,
              ...(t.match ? { match: t.match } : {}),
            })),
          },
        ],
        {
          retry: {
            attempts: 3,
            backoffMs: 1,
            retryOn: ['ConnectError', 'Timeout', 'RateLimited', 'ServerError'],
          },
        },
      ),
    ],
    1,
  );
  const c = snapshot.gatewaysBySlug.get('g')?.consumersBySlug.get('c');
  const full = model === '*' ? c?.catchAll : c?.routes.get(model);
  if (!c || !full) throw new Error('fixture did not build');
  const route = fallback ? full : narrowRoute(full, model, `pool:${model}`, () => true);
  const health = new HealthRegistry();
  const calls: string[] = [];
  const send = async (a: Attempt, signal: CallAbort) => {
    const name = a.target.registryName.replace('default/', '');
    calls.push(name);
    const queue = behaviours[name] ?? [ok()];
    const b = queue.length > 1 ? queue.shift() : queue[0];
    if (!b) throw new Error(`no behaviour for ${name}`);
    return b(signal);
  };
  type Run = Partial<Omit<DispatchContext, 'headers'>> & {
    headers?: Record<string, string>;
    asked?: string[];
  };
  const run = ({ headers, asked, ...rest }: Run = {}) =>
    dispatch(
      route,
      c,
      {
        clientIp: '10.0.0.1',
        random: seeded(1),
        signal: new Abort(),
        deadlineAt: health.now() + 5_000,
        ...(headers ? { headers: { header: (n: string) => (asked?.push(n), headers[n]) } } : {}),
        ...rest,
      },
      send,
      health,
    );
  return { calls, health, run };
}
