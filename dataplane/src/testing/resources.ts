import { createHash } from 'node:crypto';
import type {
  AnyResource,
  CompiledConsumer,
  CompiledGateway,
  CompiledRegistry,
  CompiledStrategy,
  Resource,
} from '@tollgate/protocol';

/** Builders of compiled resources for dataplane tests: compile has its own tests. */
const source = (name: string) => ({ namespace: 'default', name, generation: 1 });

export const sha256 = (key: string) => createHash('sha256').update(key).digest('hex');

export function gateway(name: string, body: Partial<CompiledGateway> = {}): Resource<'Gateway'> {
  return {
    kind: 'Gateway',
    name: `default/${name}`,
    version: `v-${name}`,
    body: {
      source: source(name),
      slug: name,
      hostnames: [],
      discovery: 'HeaderThenHost',
      fleet: 'default',
      limits: { maxRequestBodyBytes: 1024 * 1024, requestTimeoutMs: 5000 },
      ...body,
    },
  };
}

export function registry(name: string, body: Partial<CompiledRegistry> = {}): Resource<'Registry'> {
  return {
    kind: 'Registry',
    name: `default/${name}`,
    version: `v-${name}`,
    body: {
      source: source(name),
      provider: 'openai-compatible',
      baseUrl: 'http://127.0.0.1:1/v1',
      models: [],
      aliases: {},
      timeouts: { connectMs: 2000, requestMs: 5000, idleMs: 5000 },
      ...body,
    },
  };
}

export function consumer(
  name: string,
  gatewayName: string,
  keys: string[],
  routes: CompiledConsumer['routes'],
  body: Partial<CompiledConsumer> = {},
): Resource<'Consumer'> {
  return {
    kind: 'Consumer',
    name: `default/${name}`,
    version: `v-${name}`,
    body: {
      source: source(name),
      gateway: `default/${gatewayName}`,
      slug: name,
      apiKeyHashes: keys.map(sha256),
      routes,
      retry: {
        attempts: 3,
        backoffMs: 25,
        retryOn: ['ConnectError', 'Timeout', 'RateLimited', 'ServerError'],
      },
      ...body,
    },
  };
}

export function route(
  model: string,
  ...targets: [registry: string, weight?: number, model?: string, priority?: number][]
) {
  return {
    model,
    strategy: 'Weighted' as CompiledStrategy,
    targets: targets.map(([r, weight = 1, m, priority = 0]) => ({
      registry: `default/${r}`,
      weight,
      priority,
      ...(m ? { model: m } : {}),
    })),
  };
}

export type { AnyResource };
