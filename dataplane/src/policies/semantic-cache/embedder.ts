import { isModelRegistry, type CompiledRegistry } from '@tollgate/protocol';
import type { Snapshot } from '../../config/snapshot';
import { CallAbort } from '../../providers/abort';
import type { ProviderAdapter } from '../../providers/types';
import type { AdapterSet } from '../../providers/types';

/** One embeddings call: `inputs` in, one vector per input out, in order. */
export interface EmbedCall {
  /** Registry resource name `{namespace}/{name}`. */
  readonly registry: string;
  readonly model: string;
  readonly inputs: readonly string[];
  readonly requestId: string;
}

export type Embedder = (call: EmbedCall) => Promise<number[][]>;

/** Why no vectors came back; never shown to a caller (the cache is skipped instead). */
export class EmbeddingError extends Error {
  constructor(
    readonly kind: 'unavailable' | 'timeout' | 'upstream' | 'malformed',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'EmbeddingError';
  }
}

export interface EmbedderDeps {
  /** The Registry by resource name, from the current config. */
  registry(name: string): CompiledRegistry | undefined;
  adapters: AdapterSet;
  /** Longest an embeddings call may take, body included (default 2 s). */
  timeoutMs?: number;
}

export const EMBED_TIMEOUT_MS = 2000;
/** Larger answers are refused: 8 MiB holds hundreds of 3072-dimension vectors as JSON. */
const MAX_BODY_BYTES = 8 * 1024 * 1024;

/**
 * Embeds through the proxy's own provider adapters (OpenAI's embeddings API: the providers compile
 * allows), with the Registry's credentials, aliases and timeouts, bounded by `timeoutMs` overall.
 */
export function createEmbedder(deps: EmbedderDeps): Embedder {
  const timeoutMs = deps.timeoutMs ?? EMBED_TIMEOUT_MS;
  return async (call) => {
    const registry = deps.registry(call.registry);
    if (!registry)
      throw new EmbeddingError('unavailable', `Registry '${call.registry}' is not in this proxy's config`);
    const adapter = isModelRegistry(registry) ? deps.adapters[registry.provider] : undefined;
    if (!adapter) throw new EmbeddingError('unavailable', `no adapter for provider '${registry.provider}'`);
    const abort = new CallAbort();
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => {
        abort.abort();
        reject(new EmbeddingError('timeout', `no embeddings within ${timeoutMs}ms`));
      }, timeoutMs);
    });
    try {
      return await Promise.race([fetchVectors(adapter, registry, call, abort), deadline]);
    } finally {
      clearTimeout(timer);
    }
  };
}

/** The Registry lookup over a config store's current snapshot. */
export function registryIn(store: {
  readonly current: Snapshot;
}): (name: string) => CompiledRegistry | undefined {
  return (name) => {
    const r = store.current.resources.get(`Registry/${name}`);
    return r?.kind === 'Registry' ? r.body : undefined;
  };
}

async function fetchVectors(
  adapter: ProviderAdapter,
  registry: CompiledRegistry,
  call: EmbedCall,
  abort: CallAbort,
): Promise<number[][]> {
  const model = registry.aliases[call.model] ?? call.model;
  let res;
  try {
    res = await adapter.send({
      operation: 'embeddings',
      registry,
      model,
      body: { model, input: [...call.inputs] },
      rawBody: undefined,
      stream: false,
      requestId: call.requestId,
      signal: abort,
    });
  } catch (err) {
    throw new EmbeddingError('upstream', err instanceof Error ? err.message : String(err), { cause: err });
  }
  const chunks: Buffer[] = [];
  let bytes = 0;
  for await (const chunk of res.body) {
    bytes += chunk.length;
    if (bytes > MAX_BODY_BYTES) {
      abort.abort();
      throw new EmbeddingError('malformed', `embeddings answer larger than ${MAX_BODY_BYTES} bytes`);
    }
    chunks.push(Buffer.from(chunk));
  }
  if (res.status !== 200)
    throw new EmbeddingError('upstream', `the embeddings API answered HTTP ${res.status}`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new EmbeddingError('malformed', 'the embeddings answer is not JSON');
  }
  return vectorsOf(parsed, call.inputs.length);
}

/**
 * The vectors of an OpenAI embeddings answer, by `index`: exactly one per input, all of one length,
 * finite numbers, not all zero (a zero vector has no direction to compare).
 */
export function vectorsOf(body: unknown, count: number): number[][] {
  const data = (body as { data?: unknown } | null)?.data;
  if (!Array.isArray(data) || data.length !== count)
    throw new EmbeddingError('malformed', `expected ${count} embeddings in 'data'`);
  const out: number[][] = new Array<number[]>(count);
  for (const [i, item] of data.entries()) {
    const { index, embedding } = (item ?? {}) as { index?: unknown; embedding?: unknown };
    const at = typeof index === 'number' ? index : i;
    if (!Number.isInteger(at) || at < 0 || at >= count || out[at] !== undefined)
      throw new EmbeddingError('malformed', `embedding ${i} has a bad index`);
    if (
      !Array.isArray(embedding) ||
      embedding.length === 0 ||
      !embedding.every((x) => typeof x === 'number' && Number.isFinite(x)) ||
      embedding.every((x) => x === 0)
    )
      throw new EmbeddingError('malformed', `embedding ${i} is not a non-zero list of numbers`);
    out[at] = embedding as number[];
  }
  if (out.some((v) => v.length !== out[0]?.length))
    throw new EmbeddingError('malformed', 'embeddings of different lengths');
  return out;
}
