import type { CompiledBudgetPrice } from '@tollgate/protocol';
import type { Usage } from '../../formats/ir';

/*
 * Money is counted in whole pico-dollars (10^-12 USD) as BigInt. A price in micro-dollars per
 * million tokens is also a price in pico-dollars per token, so a response's cost is a sum of
 * integer products: exact, with no rounding anywhere, however many requests add up.
 */

export const PICO_PER_MICRO = 1_000_000n;

/** The price every model without its own pays, when a policy lists one. */
export const ANY_MODEL = '*';

/**
 * The price of a response: the upstream model's, else the requested model's, else the `*` price;
 * undefined when none applies.
 */
export function priceFor(
  prices: ReadonlyMap<string, CompiledBudgetPrice>,
  upstreamModel: string | undefined,
  requestedModel: unknown,
): CompiledBudgetPrice | undefined {
  return (
    (upstreamModel !== undefined ? prices.get(upstreamModel) : undefined) ??
    (typeof requestedModel === 'string' ? prices.get(requestedModel) : undefined) ??
    prices.get(ANY_MODEL)
  );
}

/**
 * What `usage` cost at `price`, in pico-dollars. Input tokens include cached ones (the neutral
 * usage's meaning): those are charged at the cached price, the rest (cache writes included) at the
 * input price, output tokens (reasoning included) at the output price.
 */
export function costOf(usage: Usage, price: CompiledBudgetPrice): bigint {
  const input = count(usage.inputTokens);
  const cached = Math.min(count(usage.cachedInputTokens), input);
  return (
    BigInt(input - cached) * BigInt(price.inputMicroUSDPerMTok) +
    BigInt(cached) * BigInt(price.cachedInputMicroUSDPerMTok) +
    BigInt(count(usage.outputTokens)) * BigInt(price.outputMicroUSDPerMTok)
  );
}

/** A token count as a whole number; anything else an upstream might report counts 0. */
function count(n: number | undefined): number {
  return n !== undefined && Number.isFinite(n) && n > 0 ? Math.floor(n) : 0;
}

/** Pico-dollars as dollars with 6 decimals, rounded down: 1_500_000_000_000n → "1.500000"; negative → "0.000000". */
export function formatUSD(pico: bigint): string {
  const micro = pico > 0n ? pico / PICO_PER_MICRO : 0n;
  return `${micro / 1_000_000n}.${String(micro % 1_000_000n).padStart(6, '0')}`;
}
