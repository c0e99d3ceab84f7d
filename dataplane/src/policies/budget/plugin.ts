import type { CompiledBudget, CompiledBudgetPrice } from '@tollgate/protocol';
import { GatewayError } from '../../errors/errors';
import type { Operation } from '../../providers/types';
import type { Plugin, PolicyRequest } from '../types';
import { budgetState, softLimitOf } from './decide';
import type { BudgetLedger } from './ledger';
import { periodsOf, type Period } from './period';
import { PICO_PER_MICRO, costOf, formatUSD, priceFor } from './price';

/** Operations a downgrade applies to: chat models only (an embeddings model is no chat model's substitute). */
const CHAT_OPERATIONS: ReadonlySet<Operation> = new Set(['chat.completions', 'messages', 'responses']);

const PER: Record<CompiledBudget['scope'], string> = {
  Consumer: 'consumer',
  APIKey: 'API key',
  Gateway: 'gateway',
};

/**
 * The `budget` plugin. preRequest reads the key's spend in the current period: from the whole
 * amount on it refuses (429 `budget_exceeded`, Retry-After until the period ends), from the soft
 * limit on it sends chat requests to `downgradeModel` (header `x-tollgate-budget-downgraded:
 * from->to`); every budgeted response says `x-tollgate-budget-remaining-usd` (before its own cost).
 * postResponse adds the response's cost from the usage the upstream reported; nothing without
 * usage (an upstream error, a plugin's answer such as a cache hit). Model lists are not budgeted.
 */
export function createBudget(config: CompiledBudget, policy: string, ledger: BudgetLedger): Plugin {
  const amount = BigInt(config.amountMicroUSD) * PICO_PER_MICRO;
  const soft = config.softLimit ? softLimitOf(amount, config.softLimit.percent) : undefined;
  const downgradeModel = config.softLimit?.downgradeModel;
  const prices = new Map<string, CompiledBudgetPrice>(config.prices.map((p) => [p.model, p]));
  const keyOf = budgetKeyOf(policy, config);
  const currentPeriod = periodsOf(config.period);
  const describe = `$${formatUSD(amount).replace(/\.?0+$/, '')} per ${config.period.toLowerCase()} per ${PER[config.scope]}`;
  return {
    name: 'budget',
    async preRequest(req) {
      if (req.operation === 'models') return;
      const now = ledger.now();
      const period = currentPeriod(now);
      const { spent, store } = await ledger.spent(keyOf(req, period), period.endMs);
      const state = budgetState(spent, amount, soft);
      req.responseHeaders['x-tollgate-budget-remaining-usd'] = formatUSD(amount - spent);
      if (state === 'exceeded') {
        ledger.observe(policy, 'exceeded', store);
        throw budgetExceeded(describe, period, now);
      }
      const from = req.body?.model;
      if (
        state === 'soft' &&
        downgradeModel !== undefined &&
        CHAT_OPERATIONS.has(req.operation) &&
        typeof from === 'string' &&
        from !== downgradeModel
      ) {
        req.setBody({ ...req.body, model: downgradeModel });
        req.responseHeaders['x-tollgate-budget-downgraded'] = `${from}->${downgradeModel}`;
        ledger.observe(policy, 'downgraded', store);
        return;
      }
      ledger.observe(policy, 'allowed', store);
    },
    async postResponse(req) {
      if (req.response?.cached || !req.usage) return;
      const price = priceFor(prices, req.upstream?.model, req.body?.model);
      if (!price) {
        ledger.unpriced(policy, req.upstream?.model ?? String(req.body?.model));
        return;
      }
      const cost = costOf(req.usage, price);
      if (cost === 0n) return;
      // Charged to the period the response completed in.
      const period = currentPeriod(ledger.now());
      await ledger.add(policy, keyOf(req, period), cost, period.endMs);
    },
  };
}

/**
 * The counter a request's spend is added to: the Policy's, per period (a new period is a new key,
 * expiring when it ends) and per scope key — the consumer's or gateway's resource name, or the
 * caller's API key digest (never the key).
 */
function budgetKeyOf(policy: string, config: CompiledBudget): (req: PolicyRequest, period: Period) => string {
  const prefix = `tollgate:budget:${policy}:`;
  switch (config.scope) {
    case 'Consumer':
      return (req, period) => `${prefix}${period.id}:consumer:${req.consumer.name}`;
    case 'Gateway':
      return (req, period) => `${prefix}${period.id}:gateway:${req.gateway.name}`;
    case 'APIKey':
      return (req, period) => `${prefix}${period.id}:apikey:${req.apiKeyHash}`;
  }
}

function budgetExceeded(describe: string, period: Period, now: number): GatewayError {
  const seconds = Math.max(1, Math.ceil((period.endMs - now) / 1000));
  const renews = new Date(period.endMs).toISOString().replace('.000Z', 'Z');
  return new GatewayError(
    429,
    'budget_exceeded',
    `Budget exhausted (${describe}). It renews at ${renews}, in ${seconds}s.`,
    { 'retry-after': String(seconds) },
  );
}
