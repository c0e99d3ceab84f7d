import { EMBEDDING_PROVIDERS, isModelRegistry, type CompiledSemanticCache } from '@tollgate/protocol';
import type { PolicyPlugins } from '../../api/v1alpha1';
import type { Refs } from '../memo';
import type { StatusBuilder } from '../status';
import { duration } from '../common';
import { oneOf } from './fields';

/** What a plugin may reference: the Registries of the Policy's namespace. */
export interface PluginRefs {
  namespace: string;
  registry: Refs['registry'];
}

export const SEMANTIC_CACHE_DEFAULTS = { threshold: 0.95, ttlMs: 3_600_000 } as const;
const TTL_MIN_MS = 1000;
const TTL_MAX_MS = 30 * 24 * 3_600_000;
const SCOPES = ['Consumer', 'Gateway'] as const;

/**
 * The cache's settings with defaults applied and its embedding Registry resolved. A Registry that is
 * missing or not usable leaves the plugin out (`ResolvedRefs=False`, the Policy's other plugins
 * still apply), as a route target's missing Registry is dropped; one that cannot embed, or does not
 * serve the model, rejects the Policy.
 */
export function compileSemanticCache(
  status: StatusBuilder,
  at: string,
  spec: NonNullable<PolicyPlugins['semanticCache']>,
  refs: PluginRefs,
): CompiledSemanticCache | undefined {
  const threshold = spec.threshold ?? SEMANTIC_CACHE_DEFAULTS.threshold;
  if (typeof threshold !== 'number' || !Number.isFinite(threshold) || threshold < 0 || threshold > 1) {
    status.reject('Invalid', `${at}.threshold: '${String(threshold)}' must be a number from 0 to 1`);
  }
  let ttlMs: number | undefined = SEMANTIC_CACHE_DEFAULTS.ttlMs;
  if (spec.ttl !== undefined) {
    ttlMs = duration(status, `${at}.ttl`, spec.ttl, 0);
    if (ttlMs !== undefined && (ttlMs < TTL_MIN_MS || ttlMs > TTL_MAX_MS)) {
      status.reject('Invalid', `${at}.ttl: '${spec.ttl}' must be from 1s to 720h (30 days)`);
    }
  }
  const scope = oneOf(status, `${at}.scope`, spec.scope, SCOPES, 'Consumer');
  const model = spec.embeddingModel;
  if (typeof model !== 'string' || model.length === 0 || model.length > 256) {
    status.reject('Invalid', `${at}.embeddingModel: required, a model name of at most 256 characters`);
  }

  const refName = spec.embeddingRegistryRef?.name;
  if (typeof refName !== 'string' || refName.length === 0) {
    status.reject('Invalid', `${at}.embeddingRegistryRef.name: required`);
    return undefined;
  }
  const name = `${refs.namespace}/${refName}`;
  const registry = refs.registry(name);
  if (typeof registry === 'string') {
    if (registry === 'rejected') {
      status.unresolvedRef(
        'RefNotAccepted',
        `${at}.embeddingRegistryRef: Registry '${refName}' is not usable (see its conditions); the cache is off`,
      );
    } else {
      status.unresolvedRef(
        'RefNotFound',
        `${at}.embeddingRegistryRef: Registry '${refName}' not found; the cache is off`,
      );
    }
    return undefined;
  }
  if (!isModelRegistry(registry) || !EMBEDDING_PROVIDERS.includes(registry.provider)) {
    status.reject(
      'Invalid',
      `${at}.embeddingRegistryRef: Registry '${refName}' (provider ${registry.provider}) does not serve embeddings; ` +
        `use one of ${EMBEDDING_PROVIDERS.join(', ')}`,
    );
  } else if (typeof model === 'string' && registry.models.length > 0) {
    const served = registry.aliases[model] ?? model;
    if (!registry.models.includes(served)) {
      status.reject('Invalid', `${at}.embeddingModel: Registry '${refName}' does not serve model '${model}'`);
    }
  }
  if (ttlMs === undefined || typeof model !== 'string') return undefined;
  return { embeddingRegistry: name, embeddingModel: model, threshold, ttlMs, scope };
}
