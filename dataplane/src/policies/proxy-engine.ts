import type { ConfigStore } from '../config/store';
import type { AdapterSet } from '../providers/types';
import type { Logger } from '../telemetry/logger';
import type { ProxyMetrics } from '../telemetry/metrics';
import { BudgetLedger } from './budget/ledger';
import { createBudgetMetrics } from './budget/metrics';
import { createPolicyEngine, type PolicyEngine } from './engine';
import type { RateLimiter } from './rate-limit/limiter';
import { createEmbedder, registryIn } from './semantic-cache/embedder';
import { createSemanticCacheMetrics } from './semantic-cache/metrics';
import { SemanticCacheState } from './semantic-cache/state';
import { TokenLimiter } from './token-rate-limit/limiter';
import { createTokenLimitMetrics } from './token-rate-limit/metrics';
import { createToolGuardMetrics } from './tool-guard/metrics';
import { ToolGuardState } from './tool-guard/state';

/**
 * How stale a proxy's view of shared budget spend may be: checks and charges go to Redis once per
 * key per 100 ms rather than on every request (budgets are dollars per hour or longer).
 */
const BUDGET_SYNC_MS = 100;

/**
 * How long a token window's last known state answers the checks it allows (refusals always ask
 * Redis): one Redis command per request, the charge, instead of two.
 */
const TOKEN_VIEW_MS = 50;

/**
 * A proxy's policy engine with all its services, reporting on `metrics`' registry: the real proxy's
 * and the warm-up's throwaway one are built by this one function, so the request path meets objects
 * of the same shapes in both (what the warm-up optimised stays valid for real traffic).
 */
export function proxyPolicyEngine(
  limiter: RateLimiter,
  store: ConfigStore,
  adapters: AdapterSet,
  metrics: ProxyMetrics,
  logger: Logger,
): PolicyEngine {
  return createPolicyEngine({
    limiter,
    // Token limits and budgets count on the rate limiter's Redis connection and fallback.
    tokens: new TokenLimiter(limiter, {
      metrics: createTokenLimitMetrics(metrics.registry),
      viewMs: TOKEN_VIEW_MS,
    }),
    budgets: new BudgetLedger(limiter, {
      metrics: createBudgetMetrics(metrics.registry),
      logger,
      syncMs: BUDGET_SYNC_MS,
    }),
    logger,
    // semanticCache embeds through this proxy's own adapters, with the Registries of its current config.
    embedder: createEmbedder({ registry: registryIn(store), adapters }),
    semanticCache: new SemanticCacheState({ metrics: createSemanticCacheMetrics(metrics.registry) }),
    toolGuard: new ToolGuardState({ metrics: createToolGuardMetrics(metrics.registry), logger }),
  });
}
