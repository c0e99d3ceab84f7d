import { Writable } from 'node:stream';
import type { CompiledPolicyPlugins, Resource } from '@tollgate/protocol';
import { ConfigStore } from '../config/store';
import { BudgetLedger } from '../policies/budget/ledger';
import { createBudgetMetrics } from '../policies/budget/metrics';
import { createPolicyEngine } from '../policies/engine';
import { RateLimiter } from '../policies/rate-limit/limiter';
import type { RedisCounterStore } from '../policies/rate-limit/redis-store';
import { TokenLimiter } from '../policies/token-rate-limit/limiter';
import { createTokenLimitMetrics } from '../policies/token-rate-limit/metrics';
import { createMockAdapter } from '../providers/mock';
import { createProxy } from '../proxy/app';
import { proxyClient } from './proxy-client';
import { createLogger } from '../telemetry/logger';
import { createMetrics } from '../telemetry/metrics';
import { consumer, gateway, registry, route } from './resources';
import { jsonPoster } from './requests';

/**
 * A proxy for the usage-based plugins (tokenRateLimit, budget) through its listener (testing/proxy-client),
 * against the built-in mock provider, whose usage is deterministic (providers/scenario.ts): a chat
 * of one user message is 5 input tokens (2 of them cached) plus one output token per reply word.
 *
 * Consumers `app` (keys sk-app, sk-app-2) and `other` (sk-other) of gateway `acme` route `gpt` →
 * `gpt-up`, `cheap` → `cheap-up`, `free` → `free-up`, `alias` → `alias-up` and `embed` → `embed-up`
 * on registry `up`, and `fails` to registry `broken`, which answers every call 400.
 */
export function policy(
  name: string,
  plugins: CompiledPolicyPlugins,
  targets: Resource<'Policy'>['body']['targets'] = [{ kind: 'Gateway', name: 'default/acme' }],
): Resource<'Policy'> {
  return {
    kind: 'Policy',
    name: `default/${name}`,
    version: `v-${name}`,
    body: { source: { namespace: 'default', name, generation: 1 }, targets, parallel: false, plugins },
  };
}

/** Records the post-response counter writes so a test can wait for them. */
class ObservedTokens extends TokenLimiter {
  readonly pending: Promise<unknown>[] = [];
  override charge(...args: Parameters<TokenLimiter['charge']>): ReturnType<TokenLimiter['charge']> {
    const p = super.charge(...args);
    this.pending.push(p);
    return p;
  }
}

class ObservedLedger extends BudgetLedger {
  readonly pending: Promise<unknown>[] = [];
  override add(...args: Parameters<BudgetLedger['add']>): ReturnType<BudgetLedger['add']> {
    const p = super.add(...args);
    this.pending.push(p);
    return p;
  }
}

export interface UsageProxyOptions {
  /** Shared Redis for the counters; in-process counters without it. */
  redis?: RedisCounterStore;
  /** The clock of in-process counters and budget periods (Redis counts on its own clock). */
  now?: () => number;
}

export function usageProxy(policies: Resource<'Policy'>[], options: UsageProxyOptions = {}) {
  const logLines: string[] = [];
  const logger = createLogger({
    destination: new Writable({
      write(chunk, _e, cb) {
        logLines.push(String(chunk));
        cb();
      },
    }),
  });
  const store = new ConfigStore();
  const mock = { latencyMs: 0, chunkDelayMs: 0, failureRate: 0, failureStatus: 500 };
  const routes = [
    route('gpt', ['up', 1, 'gpt-up']),
    route('cheap', ['up', 1, 'cheap-up']),
    route('free', ['up', 1, 'free-up']),
    route('alias', ['up', 1, 'alias-up']),
    route('embed', ['up', 1, 'embed-up']),
    route('fails', ['broken', 1, 'gpt-up']),
  ];
  const resources = [
    gateway('acme'),
    registry('up', { provider: 'mock', mock }),
    registry('broken', { provider: 'mock', mock: { ...mock, failureRate: 1, failureStatus: 400 } }),
    consumer('app', 'acme', ['sk-app', 'sk-app-2'], routes),
    consumer('other', 'acme', ['sk-other'], routes),
    ...policies,
  ];
  store.replaceAll(resources);
  const metrics = createMetrics({ defaultMetrics: false });
  const now = options.now ?? Date.now;
  const limiter = new RateLimiter({ redis: options.redis, metrics, logger, now });
  const tokens = new ObservedTokens(limiter, { metrics: createTokenLimitMetrics(metrics.registry) });
  const budgets = new ObservedLedger(limiter, {
    metrics: createBudgetMetrics(metrics.registry),
    logger,
    now,
  });
  const engine = createPolicyEngine({ limiter, tokens, budgets, logger });
  const { listener } = createProxy({
    store,
    adapters: { mock: createMockAdapter() },
    metrics,
    logger,
    policies: engine,
  });
  const app = proxyClient(listener);

  const post = jsonPoster(app, 'sk-app');
  return {
    app,
    store,
    resources,
    metrics,
    logLines,
    tokens,
    budgets,
    post,
    /** An OpenAI chat completion of `text` to `model`, as `consumer` with `key`. */
    chat: (
      model = 'gpt',
      options: { text?: string; stream?: boolean; key?: string; consumer?: string } = {},
    ) =>
      post(
        `/${options.consumer ?? 'app'}/v1/chat/completions`,
        {
          model,
          messages: [{ role: 'user', content: options.text ?? 'hello there' }],
          ...(options.stream ? { stream: true } : {}),
        },
        { authorization: `Bearer ${options.key ?? 'sk-app'}` },
      ),
    /** Waits for the counter writes of the responses read so far (post-response runs after the response). */
    async settle(): Promise<void> {
      for (let i = 0; i < 3; i++) {
        await new Promise((r) => setImmediate(r));
        await Promise.all([...tokens.pending, ...budgets.pending]);
      }
    },
    close: () => engine.close(),
  };
}

/** An OpenAI-format error body's `error`. */
export async function openAIErrorOf(res: Response) {
  return ((await res.json()) as { error: { code: string; message: string; type: string } }).error;
}
