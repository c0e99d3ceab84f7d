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
import type { ToolGuard } from './tool-guard/guard';
import { ToolGuardState } from './tool-guard/state';
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
  /** toolGuard's pins, metrics and logs; the engine makes its own (without metrics) when absent. */
  toolGuard?: ToolGuardState;
}

export interface PolicyEngine {
  /** The pipeline of a consumer's plugin set; built once per set per snapshot, then reused. */
  pipelineFor(plugins: EffectivePlugins): Pipeline;
  /** Builds the pipelines of every consumer of `snapshot` ahead of its first request. */
  prepare(snapshot: Snapshot): void;
  close(): Promise<void>;
  /** The counters its rateLimit plugins use, for endpoints that count outside a pipeline (A2A, MCP tool calls). */
  readonly limiter?: RateLimiter;
}

export function createPolicyEngine(services: PolicyServices = { limiter: new RateLimiter() }): PolicyEngine {
  return new Engine(services);
}

/** A class, so every engine (the warm-up's, the real one) runs the same optimised `pipelineFor`. */
class Engine implements PolicyEngine {
  readonly limiter: RateLimiter;
  private readonly services: PolicyServices;
  // Keyed by the snapshot's (interned) plugin sets: dropped with the snapshot.
  private readonly built = new WeakMap<EffectivePlugins, Pipeline>();

  constructor(services: PolicyServices) {
    this.limiter = services.limiter;
    this.services = {
      ...services,
      // Cached answers outlive snapshots: one set of stores per engine.
      semanticCache: services.semanticCache ?? new SemanticCacheState(),
      // Tool pins outlive snapshots too (FirstSeen pins hold for the life of the process).
      toolGuard: services.toolGuard ?? new ToolGuardState({ logger: services.logger }),
    };
  }

  pipelineFor(plugins: EffectivePlugins): Pipeline {
    if (plugins.list.length === 0) return EMPTY_PIPELINE;
    let pipeline = this.built.get(plugins);
    if (!pipeline) {
      pipeline = buildPipeline(plugins, this.services);
      this.built.set(plugins, pipeline);
    }
    return pipeline;
  }

  prepare(snapshot: Snapshot): void {
    for (const g of snapshot.gatewaysBySlug.values())
      for (const c of g.consumersBySlug.values()) this.pipelineFor(c.plugins);
    this.services.semanticCache?.retain(snapshot);
    this.services.toolGuard?.retain(snapshot);
  }

  async close(): Promise<void> {
    // Budget and token charges waiting for their sync go out while Redis is still there.
    await Promise.all([this.services.budgets?.flush(), this.services.tokens?.flush()]);
    await this.services.limiter.close();
  }
}

/**
 * One group per Policy, in the order its first plugin comes in the plugin order; within a group the
 * plugins keep that order. A consumer's set can mix Policies (gateway-level ones and its own), and
 * each Policy's `parallel` applies to its own plugins only.
 */
function buildPipeline(plugins: EffectivePlugins, services: PolicyServices): Pipeline {
  const groups = new Map<string, { plugins: Plugin[]; parallel: boolean }>();
  let toolGuard: ToolGuard | undefined;
  for (const entry of plugins.list) {
    // Not a request hook: the MCP plane calls it on tools/list and tools/call (pipeline.toolGuard).
    if (entry.name === 'toolGuard') {
      toolGuard = (services.toolGuard ?? new ToolGuardState()).guardFor(entry.policy, entry.config);
      continue;
    }
    let group = groups.get(entry.policy);
    if (!group) {
      group = { plugins: [], parallel: entry.parallel };
      groups.set(entry.policy, group);
    }
    group.plugins.push(withRefusalLog(createPlugin(entry, services), entry.policy, services.logger));
  }
  return new Pipeline([...groups.values()] satisfies PluginGroup[], toolGuard);
}

function createPlugin(
  entry: Exclude<EffectivePlugin, { name: 'toolGuard' }>,
  services: PolicyServices,
): Plugin {
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
