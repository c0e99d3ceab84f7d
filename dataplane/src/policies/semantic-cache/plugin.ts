import type { CompiledSemanticCache } from '@tollgate/protocol';
import type { Logger } from '../../telemetry/logger';
import type { Plugin, PolicyAnswer, PolicyRequest } from '../types';
import type { Embedder } from './embedder';
import { partitionKey, partitionPrefix, promptKey } from './key';
import type { CacheResult } from './metrics';
import { cacheDirectives, notStorable, toServe, toStore } from './rules';
import type { SemanticCacheState } from './state';

export interface SemanticCacheDeps {
  /** Without one (a proxy built without it) every request is served without the cache. */
  embedder: Embedder | undefined;
  state: SemanticCacheState;
  logger?: Logger;
}

/** What a request that missed carries from its lookup to the store step. */
interface Pending {
  readonly key: string;
  readonly vector: readonly number[];
  readonly tag: string;
}

export const CACHE_HEADER = 'x-tollgate-cache';
export const SIMILARITY_HEADER = 'x-tollgate-cache-similarity';
/** Similarity at which two questions are taken for the same one (float error aside). */
const SAME_QUESTION = 0.9999;
/** The index computes in 32-bit floats: the same question may come out a hair under 1. */
const FLOAT_SLACK = 1e-6;

/**
 * The `semanticCache` plugin. preRequest embeds the question of a chat request and looks it up in
 * its partition: a hit is answered in place of the upstream (rendered in the caller's format, as a
 * stream when asked); a miss is remembered, and postResponse stores the complete answer. An
 * embedding failure never fails a request: it is served without the cache. Every chat response
 * says what happened in `x-tollgate-cache` (hit, miss, skip).
 */
export function createSemanticCache(
  config: CompiledSemanticCache,
  policy: string,
  deps: SemanticCacheDeps,
): Plugin {
  const { state, embedder, logger } = deps;
  const prefix = partitionPrefix(policy, config);
  const endpoint = `${config.embeddingRegistry}|${config.embeddingModel}`;
  const pending = new WeakMap<PolicyRequest, Pending>();
  const cache = { config, policy, state, logger, endpoint };
  const count = (result: CacheResult) => state.metrics?.count(policy, result);
  const skip = (req: PolicyRequest, result: CacheResult = 'skip') => {
    req.responseHeaders[CACHE_HEADER] = 'skip';
    count(result);
  };

  return {
    name: 'semanticCache',
    needsResponseContent: true,

    async preRequest(req): Promise<PolicyAnswer | undefined> {
      if (req.operation === 'embeddings' || req.operation === 'models') return undefined;
      const directives = cacheDirectives(req.header('cache-control'));
      const chat = req.chat();
      const body = req.body ?? {};
      if (!chat || !directives.store || !embedder) {
        skip(req);
        return undefined;
      }
      const key = promptKey(chat, chat.model, body);
      if ('skip' in key) {
        skip(req);
        return undefined;
      }
      const vector = await embedQuestion(cache, embedder, req, key.text);
      if (!vector) {
        skip(req, 'error');
        return undefined;
      }
      const partition = partitionKey(prefix, config.scope, {
        consumer: req.consumer.name,
        gateway: req.gateway.name,
      });
      pending.set(req, { key: partition, vector, tag: key.tag });
      if (!directives.lookup) {
        skip(req);
        return undefined;
      }
      const [best] = await state.partitions.search(partition, vector, key.tag, 1);
      // The TTL is checked against the current config too: shortening it takes effect at once.
      const similar = best !== undefined && best.similarity + FLOAT_SLACK >= config.threshold;
      if (best && similar && best.value.storedAt + config.ttlMs > state.now()) {
        pending.delete(req);
        count('hit');
        return {
          response: toServe(best.value.response),
          headers: { [CACHE_HEADER]: 'hit', [SIMILARITY_HEADER]: best.similarity.toFixed(4) },
        };
      }
      req.responseHeaders[CACHE_HEADER] = 'miss';
      count('miss');
      return undefined;
    },

    async postResponse(req) {
      const p = pending.get(req);
      if (!p) return;
      pending.delete(req);
      if (notStorable(req) !== undefined || !req.responseContent) return;
      await storeAnswer(state, config, p, req.responseContent);
    },
  };
}

/** The question's vector, or undefined when embedding failed or is backing off. */
async function embedQuestion(
  cache: {
    config: CompiledSemanticCache;
    policy: string;
    state: SemanticCacheState;
    logger: Logger | undefined;
    endpoint: string;
  },
  embedder: Embedder,
  req: PolicyRequest,
  text: string,
): Promise<readonly number[] | undefined> {
  const { config, policy, state, logger, endpoint } = cache;
  if (!state.backoff.allows(endpoint, state.now())) return undefined;
  try {
    const [vector] = await embedder({
      registry: config.embeddingRegistry,
      model: config.embeddingModel,
      inputs: [text],
      requestId: req.requestId,
    });
    if (state.backoff.succeeded(endpoint))
      logger?.info({ policy, registry: config.embeddingRegistry }, 'semantic cache: embeddings answer again');
    return vector;
  } catch (err) {
    const { failures, skipMs } = state.backoff.failed(endpoint, state.now());
    // Once per streak: while it lasts, requests skip the cache without calling the embedder.
    if (failures === 1)
      logger?.warn(
        {
          policy,
          registry: config.embeddingRegistry,
          err: err instanceof Error ? err.message : String(err),
        },
        `semantic cache: embedding failed; requests are served without the cache, retrying in ${skipMs}ms`,
      );
    return undefined;
  }
}

/** Stores a missed question's complete answer. */
async function storeAnswer(
  state: SemanticCacheState,
  config: CompiledSemanticCache,
  p: Pending,
  content: NonNullable<PolicyRequest['responseContent']>,
): Promise<void> {
  // The same question asked again (a refresh, or two misses at once) replaces its entry.
  const [same] = await state.partitions.search(p.key, p.vector, p.tag, 1);
  if (same && same.similarity >= SAME_QUESTION) await state.partitions.delete(p.key, same.id);
  const now = state.now();
  await state.partitions.add(
    p.key,
    p.vector,
    p.tag,
    { response: toStore(content), storedAt: now },
    now + config.ttlMs,
  );
}
