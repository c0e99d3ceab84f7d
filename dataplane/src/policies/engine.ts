import type { EffectivePlugin, EffectivePlugins } from '../config/effective';
import type { Snapshot } from '../config/snapshot';
import type { Logger } from '../telemetry/logger';
import { defaultLedger, type BudgetLedger } from './budget/ledger';
import { createBudget } from './budget/plugin';
import { createCors } from './cors';
import { EMPTY_PIPELINE, Pipeline, type PluginGroup } from './pipeline';
import { createPromptGuard } from './prompt-guard/plugin';
import { RateLimiter } from './rate-limit/limiter';
import { createRateLimit } from './rate-limit/plugin';
import { withRefusalLog } from './refusal-log';
import { createRequestSize } from './request-size';
import { TokenLimiter } from './token-rate-limit/limiter';
import { createTokenRateLimit } from './token-rate-limit/plugin';
import type { Embedder } from './semantic-cache/embedder';
import { createSemanticCache } from './semantic-cache/plugin';
import { SemanticCacheState } from './semantic-cache/state';
import type { Plugin } from './types';

/** Long-lived services plugins use; they outlive config snapshots (counters survive a reload). */
export interface PolicyServices {
  limiter: RateLimiter;
  /** Token-limit counters, on the limiter's stores; one without metrics when absent. */
  tokens?: TokenLimiter;
  /** Budget spend, on the limiter's Redis; one per limiter, without metrics, when absent. */
  budgets?: BudgetLedger;
  logger?: Logger;
  /** Embeds prompts for semanticCache, over the proxy's own adapters; without it the cache is skipped. */
  embedder?: Embedder;
  /** semanticCache's stores, back-off and metrics; the engine makes its own when absent. */
  semanticCache?: SemanticCacheState;
}

export interface PolicyEngine {
  /** The pipeline of a consumer's plugin set; built once per set per snapshot, then reused. */
  pipelineFor(plugins: EffectivePlugins): Pipeline;
  /** Builds the pipelines of every consumer of `snapshot` ahead of its first request. */
  prepare(snapshot: Snapshot): void;
  close(): Promise<void>;
  /** The rate limiter its plugins count in (the MCP endpoint counts tool calls there too). */
  readonly limiter?: RateLimiter;
}

export function createPolicyEngine(services: PolicyServices = { limiter: new RateLimiter() }): PolicyEngine {
  // Cached answers outlive snapshots: one set of stores per engine.
  const cache = services.semanticCache ?? new SemanticCacheState();
  services = { ...services, semanticCache: cache };
  // Keyed by the snapshot's (interned) plugin sets: dropped with the snapshot.
  const built = new WeakMap<EffectivePlugins, Pipeline>();
  const pipelineFor = (plugins: EffectivePlugins): Pipeline => {
    if (plugins.list.length === 0) return EMPTY_PIPELINE;
    let pipeline = built.get(plugins);
    if (!pipeline) {
      pipeline = buildPipeline(plugins, services);
      built.set(plugins, pipeline);
    }
    return pipeline;
  };
  return {
    limiter: services.limiter,
    pipelineFor,
    prepare(snapshot) {
      for (const g of snapshot.gatewaysBySlug.values())
        for (const c of g.consumersBySlug.values()) pipelineFor(c.plugins);
      cache.retain(snapshot);
    },
    close: async () => {
      // Budget and token charges waiting for their sync go out while Redis is still there.
      await Promise.all([services.budgets?.flush(), services.tokens?.flush()]);
      await services.limiter.close();
    },
  };
}

/**
 * One group per Policy, in the order its first plugin comes in the plugin order; within a group the
 * plugins keep that order. A consumer's set can mix Policies (gateway-level ones and its own), and
 * each Policy's `parallel` applies to its own plugins only.
 */
function buildPipeline(plugins: EffectivePlugins, services: PolicyServices): Pipeline {
  const groups = new Map<string, { plugins: Plugin[]; parallel: boolean }>();
  for (const entry of plugins.list) {
    let group = groups.get(entry.policy);
    if (!group) {
      group = { plugins: [], parallel: entry.parallel };
      groups.set(entry.policy, group);
    }
    group.plugins.push(withRefusalLog(createPlugin(entry, services), entry.policy, services.logger));
  }
  return new Pipeline([...groups.values()] satisfies PluginGroup[]);
}

function createPlugin(entry: EffectivePlugin, services: PolicyServices): Plugin {
  switch (entry.name) {
    case 'cors':
      return createCors(entry.config);
    case 'requestSize':
      return createRequestSize(entry.config);
    case 'rateLimit':
      return createRateLimit(entry.config, entry.policy, services.limiter);
    case 'tokenRateLimit':
      return createTokenRateLimit(
        entry.config,
        entry.policy,
        services.tokens ?? new TokenLimiter(services.limiter),
      );
    case 'budget':
      return createBudget(
        entry.config,
        entry.policy,
        services.budgets ?? defaultLedger(services.limiter, services.logger),
      );
    case 'promptGuard':
      return createPromptGuard(entry.config, entry.policy, services.logger);
    case 'semanticCache':
      return createSemanticCache(entry.config, entry.policy, {
        embedder: services.embedder,
        state: services.semanticCache ?? new SemanticCacheState(),
        ...(services.logger ? { logger: services.logger } : {}),
      });
  }
}
