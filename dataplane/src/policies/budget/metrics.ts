import { Counter, type Registry } from 'prom-client';
import type { BudgetMetrics } from './ledger';

const made = new WeakMap<Registry, BudgetMetrics>();

/** Budget metrics on `registry` (registered once per registry, shared by every caller). */
export function createBudgetMetrics(registry: Registry): BudgetMetrics {
  let m = made.get(registry);
  if (!m) {
    m = make(registry);
    made.set(registry, m);
  }
  return m;
}

function make(registry: Registry): BudgetMetrics {
  const decisions = new Counter({
    name: 'tollgate_budget_decisions_total',
    help: 'Budget checks by policy, decision (allowed, downgraded, exceeded) and where the spend was read (redis, local).',
    labelNames: ['policy', 'decision', 'store'],
    registers: [registry],
  });
  const spend = new Counter({
    name: 'tollgate_budget_spend_usd_total',
    help: 'Spend recorded against budgets, in US dollars, by policy.',
    labelNames: ['policy'],
    registers: [registry],
  });
  const unpriced = new Counter({
    name: 'tollgate_budget_unpriced_responses_total',
    help: 'Responses charged nothing because the policy has no price for their model (the model is logged once).',
    labelNames: ['policy'],
    registers: [registry],
  });
  // Children cached by label values: prom-client would hash the label set on every request.
  const children = new Map<string, { inc(n?: number): void }>();
  const child = (key: string, make: () => { inc(n?: number): void }) => {
    let c = children.get(key);
    if (!c) {
      c = make();
      children.set(key, c);
    }
    return c;
  };
  return {
    observeBudget: (policy, decision, store) =>
      child(`d\u0000${policy}\u0000${decision}\u0000${store}`, () =>
        decisions.labels({ policy, decision, store }),
      ).inc(),
    addSpend: (policy, usd) => child(`s\u0000${policy}`, () => spend.labels({ policy })).inc(usd),
    countUnpriced: (policy) => child(`u\u0000${policy}`, () => unpriced.labels({ policy })).inc(),
  };
}
