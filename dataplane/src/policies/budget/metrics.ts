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
  const decisionChildren = new ChildCache((policy, decision, store) =>
    decisions.labels({ policy, decision, store }),
  );
  const spendChildren = new ChildCache((policy) => spend.labels({ policy }));
  const unpricedChildren = new ChildCache((policy) => unpriced.labels({ policy }));
  return {
    observeBudget: (policy, decision, store) => decisionChildren.of(policy, decision, store).inc(),
    addSpend: (policy, usd) => spendChildren.of(policy).inc(usd),
    countUnpriced: (policy) => unpricedChildren.of(policy).inc(),
  };
}
