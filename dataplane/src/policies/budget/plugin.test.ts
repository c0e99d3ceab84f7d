import type { CompiledBudget } from '@tollgate/protocol';
import { openAIErrorOf, policy, usageProxy } from '../../testing/usage-proxy';
import { RateLimiter } from '../rate-limit/limiter';
import type { PolicyRequest } from '../types';
import { BudgetLedger } from './ledger';
import { createBudget } from './plugin';

/**
 * budget through the proxy (its listener, built-in mock provider). A mock chat of "hello there"
 * reports 5 input tokens (2 cached) and 3 output tokens: at the prices below $0.01 on gpt-up,
 * $0.005 on cheap-up.
 */
const M = 1_000_000; // micro-dollars per dollar
const price = (model: string, dollarsPerMTok: number) => ({
  model,
  inputMicroUSDPerMTok: dollarsPerMTok * M,
  cachedInputMicroUSDPerMTok: (dollarsPerMTok / 2) * M,
  outputMicroUSDPerMTok: dollarsPerMTok * 2 * M,
});
const budget = (over: Partial<CompiledBudget> = {}): CompiledBudget => ({
  amountMicroUSD: 0.03 * M,
  period: 'Day',
  scope: 'Consumer',
  softLimit: { percent: 50, downgradeModel: 'cheap' },
  prices: [price('alias', 1000), price('cheap-up', 500), price('embed-up', 1000), price('gpt-up', 1000)],
  ...over,
});

function setup(config: CompiledBudget) {
  let now = Date.parse('2024-05-15T12:00:00Z');
  const s = usageProxy([policy('spend', { budget: config })], { now: () => now });
  return { ...s, advance: (ms: number) => (now += ms) };
}

const remaining = (res: Response) => res.headers.get('x-tollgate-budget-remaining-usd');

describe('budget', () => {
  it('charges each response, downgrades past the soft limit, refuses past the amount until the period ends', async () => {
    const s = setup(budget());
    const seen: [number, string | null, string | null, string | null][] = [];
    for (const stream of [false, false, false, true, false]) {
      const res = await s.chat('gpt', { stream });
      seen.push([
        res.status,
        remaining(res),
        res.headers.get('x-tollgate-budget-downgraded'),
        res.headers.get('x-selected-model'),
      ]);
      if (res.status === 200) await res.text();
      await s.settle();
    }
    expect(seen).toEqual([
      [200, '0.030000', null, 'gpt-up'],
      [200, '0.020000', null, 'gpt-up'],
      // $0.02 spent: past 50%, sent to the cheaper model (streams too)
      [200, '0.010000', 'gpt->cheap', 'cheap-up'],
      [200, '0.005000', 'gpt->cheap', 'cheap-up'],
      [429, '0.000000', null, null],
    ]);
    const refused = await s.chat('gpt');
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toBe('43200');
    expect(await openAIErrorOf(refused)).toMatchObject({
      code: 'budget_exceeded',
      message: 'Budget exhausted ($0.03 per day per consumer). It renews at 2024-05-16T00:00:00Z, in 43200s.',
    });
    // the other consumer has its own budget
    expect(remaining(await s.chat('gpt', { consumer: 'other', key: 'sk-other' }))).toBe('0.030000');
    // the next day starts afresh
    s.advance(43_199_000);
    expect((await s.chat()).status).toBe(429);
    s.advance(1000);
    const renewed = await s.chat();
    expect([renewed.status, remaining(renewed)]).toEqual([200, '0.030000']);
  });

  it('downgrades and refuses in the caller’s format (Anthropic Messages)', async () => {
    const s = setup(
      budget({ amountMicroUSD: 0.015 * M, softLimit: { percent: 60, downgradeModel: 'cheap' } }),
    );
    const ask = () =>
      s.post(
        '/app/v1/messages',
        { model: 'gpt', max_tokens: 20, messages: [{ role: 'user', content: 'hello there' }] },
        { 'anthropic-version': '2023-06-01' },
      );
    const first = await ask();
    expect((await first.json()) as { model: string }).toMatchObject({ model: 'gpt-up' });
    await s.settle();
    const second = await ask();
    expect(second.headers.get('x-tollgate-budget-downgraded')).toBe('gpt->cheap');
    expect((await second.json()) as { model: string }).toMatchObject({ model: 'cheap-up' });
    await s.settle();
    const refused = await ask();
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toBe('43200');
    expect(await refused.json()).toEqual({
      type: 'error',
      error: { type: 'rate_limit_error', message: expect.stringContaining('Budget exhausted') },
    });
  });

  it('prices by the upstream model, then the requested one; an unpriced model costs nothing and is logged once', async () => {
    const s = setup(budget({ softLimit: undefined }));
    await (await s.chat('alias')).json(); // upstream alias-up has no price, requested alias does: $0.01
    await s.settle();
    for (let i = 0; i < 3; i++) {
      await (await s.chat('free')).json(); // free-up / free: no price
      await s.settle();
    }
    expect(remaining(await s.chat('gpt'))).toBe('0.020000');
    await s.settle();
    const warnings = s.logLines.filter((l) => l.includes('budget: no price for this model'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('"model":"free-up"');
    expect(warnings[0]).toContain('"policy":"default/spend"');
    const text = await s.metrics.registry.metrics();
    expect(text).toContain('tollgate_budget_unpriced_responses_total{policy="default/spend"} 3');
    expect(text).toContain('tollgate_budget_spend_usd_total{policy="default/spend"} 0.02');
    expect(text).toContain(
      'tollgate_budget_decisions_total{policy="default/spend",decision="allowed",store="local"} 5',
    );
  });

  it('charges a model without its own price at the * price, and logs nothing', async () => {
    const s = setup(budget({ softLimit: undefined, prices: [price('gpt-up', 1000), price('*', 500)] }));
    await (await s.chat('free')).json(); // free-up / free: unpriced, so $0.005 at the * price
    await s.settle();
    await (await s.chat('gpt')).json(); // its own price: $0.01
    await s.settle();
    expect(remaining(await s.chat('gpt'))).toBe('0.015000'); // $0.03 less $0.005 and $0.01
    await s.settle();
    expect(s.logLines.filter((l) => l.includes('budget: no price for this model'))).toEqual([]);
    const text = await s.metrics.registry.metrics();
    expect(text).not.toContain('tollgate_budget_unpriced_responses_total{');
    expect(text).toContain('tollgate_budget_spend_usd_total{policy="default/spend"} 0.025');
  });

  it('scope APIKey counts each key apart; scope Gateway counts all consumers together', async () => {
    const perKey = setup(budget({ scope: 'APIKey', softLimit: undefined, amountMicroUSD: 0.01 * M }));
    await (await perKey.chat()).json();
    await perKey.settle();
    expect((await perKey.chat()).status).toBe(429);
    expect((await perKey.chat('gpt', { key: 'sk-app-2' })).status).toBe(200);

    const shared = setup(budget({ scope: 'Gateway', softLimit: undefined, amountMicroUSD: 0.01 * M }));
    await (await shared.chat()).json();
    await shared.settle();
    const other = await shared.chat('gpt', { consumer: 'other', key: 'sk-other' });
    expect(other.status).toBe(429);
    expect((await openAIErrorOf(other)).message).toContain('($0.01 per day per gateway)');
  });

  it('a downgrade model the consumer cannot route is the usual 404; embeddings are never downgraded', async () => {
    const s = setup(budget({ softLimit: { percent: 1, downgradeModel: 'nope' } }));
    await (await s.chat()).json();
    await s.settle();
    const res = await s.chat();
    expect(res.status).toBe(404);
    expect(res.headers.get('x-tollgate-budget-downgraded')).toBe('gpt->nope');
    expect((await openAIErrorOf(res)).code).toBe('model_not_found');
    const embedded = await s.post('/app/v1/embeddings', { model: 'embed', input: 'hello there' });
    expect(embedded.status).toBe(200);
    expect(embedded.headers.get('x-tollgate-budget-downgraded')).toBeNull();
    expect(embedded.headers.get('x-selected-model')).toBe('embed-up');
  });

  it('spend survives a config reload', async () => {
    const s = setup(budget({ softLimit: undefined }));
    await (await s.chat()).json();
    await s.settle();
    s.store.replaceAll([...s.resources]);
    expect(remaining(await s.chat())).toBe('0.020000');
  });
});

describe('budget post-response', () => {
  it('charges nothing for an answer a plugin gave in place of the upstream (a cache hit)', async () => {
    const ledger = new BudgetLedger(new RateLimiter());
    const plugin = createBudget(budget({ softLimit: undefined }), 'default/p', ledger);
    const request = (cached: boolean) =>
      ({
        operation: 'chat.completions',
        gateway: { name: 'default/acme' },
        consumer: { name: 'default/app' },
        apiKeyHash: 'h',
        body: { model: 'gpt' },
        upstream: { registry: 'default/up', model: 'gpt-up' },
        responseHeaders: {},
        response: { status: 200, stream: false, ...(cached ? { cached: true } : {}) },
        usage: { inputTokens: 5, outputTokens: 3, cachedInputTokens: 2 },
      }) as unknown as PolicyRequest;
    const left = async () => {
      const req = request(false);
      await plugin.preRequest?.(req);
      return req.responseHeaders['x-tollgate-budget-remaining-usd'];
    };
    await plugin.postResponse?.(request(true));
    expect(await left()).toBe('0.030000');
    await plugin.postResponse?.(request(false));
    expect(await left()).toBe('0.020000');
  });
});
