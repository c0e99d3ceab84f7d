/** Where a spend stands against a budget (all in pico-dollars). */
export type BudgetState = 'within' | 'soft' | 'exceeded';

/**
 * `exceeded` from the whole amount spent on (the hard limit refuses), `soft` from the soft limit on
 * (requests are downgraded), `within` below both.
 */
export function budgetState(spent: bigint, amount: bigint, soft: bigint | undefined): BudgetState {
  if (spent >= amount) return 'exceeded';
  if (soft !== undefined && spent >= soft) return 'soft';
  return 'within';
}

/** The soft limit: `percent`% of `amount`, exactly (amounts are whole micro-dollars, so multiples of 10^6 pico). */
export function softLimitOf(amount: bigint, percent: number): bigint {
  return (amount * BigInt(percent)) / 100n;
}
