import { Counter, type Registry } from 'prom-client';
import { ChildCache, perRegistry } from '../../telemetry/prom';
import type { BudgetMetrics } from './ledger';

/** Budget metrics on `registry` (registered once per registry, shared by every caller). */
export const createBudgetMetrics = perRegistry(make);

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
  const decisionChildren = new ChildCache<ReturnType<typeof decisions.labels>>();
  const spendChildren = new ChildCache<ReturnType<typeof spend.labels>>();
  const unpricedChildren = new ChildCache<ReturnType<typeof unpriced.labels>>();
  return {
    observeBudget: (policy, decision, store) =>
      decisionChildren
        .of(`${policy}\u0000${decision}\u0000${store}`, () => decisions.labels({ policy, decision, store }))
        .inc(),
    addSpend: (policy, usd) => spendChildren.of(policy, () => spend.labels({ policy })).inc(usd),
    countUnpriced: (policy) => unpricedChildren.of(policy, () => unpriced.labels({ policy })).inc(),
  };
}
