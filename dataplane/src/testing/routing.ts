import type { CompiledConsumer, CompiledRetry, CompiledStrategy } from '@tollgate/protocol';
import { buildSnapshot, type RuntimeConsumer, type RuntimeRoute } from '../config/snapshot';
import { consumer, gateway, registry } from './resources';

/** Deterministic [0, 1) numbers (mulberry32), for distribution tests. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface TargetSpec {
  registry: string;
  weight?: number;
  priority?: number;
  model?: string;
  /** The registry's served models (default: any). */
  models?: string[];
}

/** A consumer with one route to mock-free registries `default/{name}`, built like the proxy builds it. */
export function routeOf(
  targets: TargetSpec[],
  options: { strategy?: CompiledStrategy; model?: string; retry?: Partial<CompiledRetry> } = {},
): { route: RuntimeRoute; consumer: RuntimeConsumer } {
  const model = options.model ?? 'chat';
  const names = [...new Set(targets.map((t) => t.registry))];
  const retry: CompiledConsumer['retry'] = {
    attempts: 3,
    backoffMs: 1,
    retryOn: ['ConnectError', 'Timeout', 'RateLimited', 'ServerError'],
    ...options.retry,
  };
  const snapshot = buildSnapshot(
    [
      gateway('g'),
      ...names.map((n) => registry(n, { models: targets.find((t) => t.registry === n)?.models ?? [] })),
      consumer(
        'c',
        'g',
        ['k'],
        [
          {
            model,
            strategy: options.strategy ?? 'Weighted',
            targets: targets.map((t) => ({
              registry: `default/${t.registry}`,
              weight: t.weight ?? 1,
              priority: t.priority ?? 0,
              ...(t.model ? { model: t.model } : {}),
            })),
          },
        ],
        { retry },
      ),
    ],
    1,
  );
  const c = snapshot.gatewaysBySlug.get('g')?.consumersBySlug.get('c');
  const route = model === '*' ? c?.catchAll : c?.routes.get(model);
  if (!c || !route) throw new Error('fixture did not build');
  return { route, consumer: c };
}
