import type { CompiledBudgetPrice } from '@tollgate/protocol';
import { budgetState, softLimitOf } from './decide';
import { costOf, formatUSD, priceFor } from './price';

// gpt-4o-mini list prices: $0.15 input, $0.075 cached input, $0.60 output per million tokens
const mini: CompiledBudgetPrice = {
  model: 'gpt-4o-mini',
  inputMicroUSDPerMTok: 150_000,
  cachedInputMicroUSDPerMTok: 75_000,
  outputMicroUSDPerMTok: 600_000,
};

describe('costOf: exact pico-dollars', () => {
  it.each<[string, Parameters<typeof costOf>[0], bigint]>([
    ['one input token: 0.15 micro-dollars', { inputTokens: 1, outputTokens: 0 }, 150_000n],
    [
      'input, cached input and output',
      { inputTokens: 1000, outputTokens: 500, cachedInputTokens: 400 },
      600n * 150_000n + 400n * 75_000n + 500n * 600_000n,
    ],
    [
      'cached beyond input counts as input at most',
      { inputTokens: 10, outputTokens: 0, cachedInputTokens: 50 },
      10n * 75_000n,
    ],
    [
      'garbage counts nothing',
      { inputTokens: Number.NaN, outputTokens: -5, cachedInputTokens: Infinity },
      0n,
    ],
    [
      'a million tokens of each cost exactly the list prices',
      { inputTokens: 2_000_000, outputTokens: 1_000_000, cachedInputTokens: 1_000_000 },
      825_000_000_000n,
    ],
  ])('%s', (_name, usage, pico) => {
    expect(costOf(usage, mini)).toBe(pico);
  });

  it('ten million one-token requests add up to exactly $1.50, where floating point would drift', () => {
    const one = costOf({ inputTokens: 1, outputTokens: 0 }, mini);
    let total = 0n;
    let float = 0;
    for (let i = 0; i < 10_000_000; i++) {
      total += one;
      float += 0.15 / 1e6;
    }
    expect(formatUSD(total)).toBe('1.500000');
    expect(total).toBe(1_500_000_000_000n);
    expect(float).not.toBe(1.5);
  });
});

describe('priceFor: the upstream model first, then the requested one', () => {
  const prices = new Map([
    ['gpt-4o-mini', mini],
    ['alias', { ...mini, model: 'alias', inputMicroUSDPerMTok: 1 }],
  ]);
  it.each<[string | undefined, unknown, string | undefined]>([
    ['gpt-4o-mini', 'alias', 'gpt-4o-mini'],
    ['unpriced-upstream', 'alias', 'alias'],
    [undefined, 'gpt-4o-mini', 'gpt-4o-mini'],
    ['x', 'y', undefined],
    [undefined, 42, undefined],
  ])('upstream %s, requested %s → %s', (upstream, requested, model) => {
    expect(priceFor(prices, upstream, requested)?.model).toBe(model);
  });

  it('falls back to the * price for any model without its own, and only then', () => {
    const withAny = new Map([...prices, ['*', { ...mini, model: '*', inputMicroUSDPerMTok: 7 }]]);
    expect(priceFor(withAny, 'x', 'y')?.model).toBe('*');
    expect(priceFor(withAny, undefined, 42)?.model).toBe('*');
    expect(priceFor(withAny, 'unpriced-upstream', 'alias')?.model).toBe('alias');
    expect(priceFor(withAny, 'gpt-4o-mini', 'y')?.model).toBe('gpt-4o-mini');
  });
});

describe('formatUSD and the budget decision', () => {
  it.each([
    [0n, '0.000000'],
    [999_999n, '0.000000'],
    [1_000_000n, '0.000001'],
    [12_345_678_901_234_567n, '12345.678901'],
    [-5n, '0.000000'],
  ])('%s pico-dollars → $%s', (pico, text) => {
    expect(formatUSD(pico)).toBe(text);
  });

  it('exceeded from the whole amount on, soft from the soft limit on', () => {
    const amount = 10_000_000n * 1_000_000n; // $10
    const soft = softLimitOf(amount, 80);
    expect(soft).toBe(8_000_000n * 1_000_000n);
    expect(budgetState(soft - 1n, amount, soft)).toBe('within');
    expect(budgetState(soft, amount, soft)).toBe('soft');
    expect(budgetState(amount - 1n, amount, soft)).toBe('soft');
    expect(budgetState(amount, amount, soft)).toBe('exceeded');
    expect(budgetState(amount - 1n, amount, undefined)).toBe('within');
  });
});
