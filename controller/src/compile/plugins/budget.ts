import type { BudgetPeriod, BudgetScope, CompiledBudget, CompiledBudgetPrice } from '@tollgate/protocol';
import type { PolicyPlugins } from '../../api/v1alpha1';
import type { StatusBuilder } from '../status';
import { wholeNumber } from '../common';
import { oneOf } from './fields';

const PERIODS: readonly BudgetPeriod[] = ['Hour', 'Day', 'Week', 'Month'];
const SCOPES: readonly BudgetScope[] = ['Consumer', 'APIKey', 'Gateway'];

/** $1,000,000 per period: the proxy's pico-dollar sums then stay far inside Redis's 64-bit integers. */
export const MAX_AMOUNT_MICRO_USD = 10 ** 12;
/** $10,000 per million tokens, well above any list price; a larger one is a typo. */
export const MAX_PRICE_MICRO_USD = 10 ** 10;

const DECIMAL = /^([0-9]+)(?:\.([0-9]+))?$/;

/**
 * A decimal dollar string as whole micro-dollars, exactly (no floating point): at most 6 decimals
 * and at most `max`; undefined after a precise rejection.
 */
export function microDollars(
  status: StatusBuilder,
  field: string,
  value: unknown,
  max: number,
): number | undefined {
  const m = typeof value === 'string' ? DECIMAL.exec(value) : null;
  if (!m) {
    status.reject('Invalid', `${field}: '${String(value)}' is not a decimal number of dollars (e.g. "2.50")`);
    return undefined;
  }
  const fraction = m[2] ?? '';
  if (fraction.length > 6) {
    status.reject('Invalid', `${field}: '${String(value)}' has more than 6 decimals (a micro-dollar)`);
    return undefined;
  }
  const micro = BigInt(m[1] ?? '0') * 1_000_000n + BigInt(fraction.padEnd(6, '0'));
  if (micro > BigInt(max)) {
    status.reject('Invalid', `${field}: '${String(value)}' is more than ${dollars(max)}`);
    return undefined;
  }
  return Number(micro);
}

/** 1e12 micro-dollars → "$1,000,000". */
function dollars(micro: number): string {
  return `$${String(micro / 1_000_000).replace(/\B(?=(\d{3})+$)/g, ',')}`;
}

export function compileBudget(
  status: StatusBuilder,
  at: string,
  spec: NonNullable<PolicyPlugins['budget']>,
): CompiledBudget {
  const amount = microDollars(status, `${at}.amountUSD`, spec.amountUSD, MAX_AMOUNT_MICRO_USD);
  if (amount === 0) status.reject('Invalid', `${at}.amountUSD: must be more than 0`);
  if (spec.period === undefined) status.reject('Invalid', `${at}.period: required (${PERIODS.join(', ')})`);
  const period = oneOf(status, `${at}.period`, spec.period, PERIODS, 'Day');
  const scope = oneOf(status, `${at}.scope`, spec.scope, SCOPES, 'Consumer');
  const softLimit = compileSoftLimit(status, at, spec);
  const prices = compilePrices(status, `${at}.prices`, spec.prices);
  return {
    amountMicroUSD: amount ?? 1,
    period,
    scope,
    ...(softLimit ? { softLimit } : {}),
    prices,
  };
}

function compileSoftLimit(
  status: StatusBuilder,
  at: string,
  spec: NonNullable<PolicyPlugins['budget']>,
): CompiledBudget['softLimit'] {
  const { softLimitPercent, downgradeModel } = spec;
  if (softLimitPercent === undefined) {
    if (downgradeModel !== undefined) {
      status.reject('Invalid', `${at}.downgradeModel: only used with softLimitPercent`);
    }
    return undefined;
  }
  // At 100% the hard limit refuses first: a downgrade could never happen.
  const percent = wholeNumber(status, `${at}.softLimitPercent`, softLimitPercent, 1, 99);
  let model: string | undefined;
  if (downgradeModel === undefined) {
    status.reject('Invalid', `${at}.downgradeModel: required with softLimitPercent`);
  } else if (
    typeof downgradeModel !== 'string' ||
    downgradeModel.trim() === '' ||
    downgradeModel.length > 256
  ) {
    status.reject('Invalid', `${at}.downgradeModel: must be a model name (1 to 256 characters)`);
  } else {
    model = downgradeModel;
  }
  return percent !== undefined && model !== undefined ? { percent, downgradeModel: model } : undefined;
}

function compilePrices(status: StatusBuilder, at: string, prices: unknown): CompiledBudgetPrice[] {
  // Without prices nothing is ever spent: such a budget would silently never apply.
  if (!Array.isArray(prices) || prices.length === 0) {
    status.reject('Invalid', `${at}: at least one model price is required`);
    return [];
  }
  const out: CompiledBudgetPrice[] = [];
  const seen = new Set<string>();
  for (const [i, p] of (prices as unknown[]).entries()) {
    const field = `${at}[${i}]`;
    if (typeof p !== 'object' || p === null || Array.isArray(p)) {
      status.reject('Invalid', `${field}: must be an object`);
      continue;
    }
    const { model, inputPerMTok, outputPerMTok, cachedInputPerMTok } = p as Record<string, unknown>;
    if (typeof model !== 'string' || model.trim() === '' || model.length > 256) {
      status.reject('Invalid', `${field}.model: must be a model name (1 to 256 characters)`);
      continue;
    }
    if (seen.has(model)) {
      status.reject('Invalid', `${field}.model: '${model}' is priced twice`);
      continue;
    }
    seen.add(model);
    const input = microDollars(status, `${field}.inputPerMTok`, inputPerMTok, MAX_PRICE_MICRO_USD);
    const output = microDollars(status, `${field}.outputPerMTok`, outputPerMTok, MAX_PRICE_MICRO_USD);
    const cached =
      cachedInputPerMTok === undefined
        ? input
        : microDollars(status, `${field}.cachedInputPerMTok`, cachedInputPerMTok, MAX_PRICE_MICRO_USD);
    if (input === undefined || output === undefined || cached === undefined) continue;
    out.push({
      model,
      inputMicroUSDPerMTok: input,
      outputMicroUSDPerMTok: output,
      cachedInputMicroUSDPerMTok: cached,
    });
  }
  return out.sort((a, b) => (a.model < b.model ? -1 : a.model > b.model ? 1 : 0));
}
