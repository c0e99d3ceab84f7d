import type { CompiledProvider, CompiledRegistry } from '@tollgate/protocol';
import { geminiFormatWithoutCallIds } from '../formats/gemini';
import type { FormatName, WireFormat } from '../formats/ir';

/** How a provider wants its credential. */
export type AuthScheme =
  /** `Authorization: Bearer <apiKey>` */
  | 'bearer'
  /** Azure OpenAI's `api-key: <apiKey>` */
  | 'api-key'
  /** Anthropic's `x-api-key` plus `anthropic-version` */
  | 'anthropic'
  /** Gemini API's `x-goog-api-key` */
  | 'goog-api-key'
  /** Bedrock: SigV4 with access keys, or a Bedrock API key as a bearer token */
  | 'aws'
  /** Vertex AI: a service-account key exchanged for OAuth access tokens */
  | 'google-oauth';

/** Where one API lives on the upstream, relative to the registry's base URL. */
export type PathOf = (model: string, stream: boolean, registry: CompiledRegistry) => string;

/** What to change in an encoded body before it is sent (provider quirks, as data). */
export interface BodyQuirks {
  /** Rename top-level fields, e.g. max_completion_tokens → max_tokens for servers that lack it. */
  rename?: Record<string, string>;
  /** Top-level fields to set. */
  set?: Record<string, unknown>;
  /** Top-level fields to remove (e.g. the model, when it is in the path). */
  remove?: string[];
}

export interface FormatEndpoint {
  path: PathOf;
  quirks?: BodyQuirks;
}

/**
 * One upstream API family, as data. Every adapter is the same HTTP mechanism driven by one of
 * these; OpenAI-compatible presets differ only in their defaults.
 */
export interface ProviderProfile {
  /** The formats the upstream speaks natively, with their endpoints; the first is the default target. */
  formats: Partial<Record<FormatName, FormatEndpoint>>;
  /** The format a request in any other format is translated to. */
  chat: FormatName;
  /** A provider's own variant of a shared format's codec (e.g. Vertex's Gemini without call ids). */
  codecs?: Partial<Record<FormatName, WireFormat>>;
  embeddings?: PathOf;
  /** Where the upstream counts a request's input tokens (Anthropic's Messages token counting). */
  countTokens?: PathOf;
  auth: AuthScheme;
  /** How streamed bodies are framed. */
  framing: 'sse' | 'aws-eventstream';
  /**
   * How an OpenAI-style upstream is asked for usage in a stream: `stream_options` sends
   * `stream_options.include_usage`; `always` means it reports usage unasked.
   */
  streamUsage?: 'stream_options' | 'always';
}

const enc = encodeURIComponent;
const openAIChat: FormatEndpoint = { path: () => '/chat/completions' };
/** OpenAI-compatible servers that predate `max_completion_tokens` take `max_tokens`. */
const legacyMaxTokens: FormatEndpoint = {
  path: () => '/chat/completions',
  quirks: { rename: { max_completion_tokens: 'max_tokens' } },
};

function openAICompatible(chat: FormatEndpoint, streamUsage: 'stream_options' | 'always'): ProviderProfile {
  return {
    formats: { 'openai-chat': chat },
    chat: 'openai-chat',
    embeddings: () => '/embeddings',
    auth: 'bearer',
    framing: 'sse',
    streamUsage,
  };
}

const vertexBase = (r: CompiledRegistry, publisher: string, model: string) =>
  `/projects/${enc(r.vertex?.project ?? '')}/locations/${enc(r.vertex?.location ?? '')}/publishers/${publisher}/models/${enc(model)}`;

export const PROFILES: Record<Exclude<CompiledProvider, 'mock'>, ProviderProfile> = {
  openai: {
    formats: { 'openai-chat': openAIChat, 'openai-responses': { path: () => '/responses' } },
    chat: 'openai-chat',
    embeddings: () => '/embeddings',
    auth: 'bearer',
    framing: 'sse',
    streamUsage: 'stream_options',
  },
  'openai-compatible': openAICompatible(legacyMaxTokens, 'stream_options'),
  groq: openAICompatible(openAIChat, 'stream_options'),
  deepseek: openAICompatible(legacyMaxTokens, 'stream_options'),
  // Mistral reports usage in its last chunk unasked and rejects unknown fields.
  mistral: openAICompatible(legacyMaxTokens, 'always'),
  'azure-openai': {
    formats: {
      'openai-chat': {
        path: (model, _s, r) =>
          `/openai/deployments/${enc(model)}/chat/completions?api-version=${enc(r.azure?.apiVersion ?? '')}`,
      },
    },
    chat: 'openai-chat',
    embeddings: (model, _s, r) =>
      `/openai/deployments/${enc(model)}/embeddings?api-version=${enc(r.azure?.apiVersion ?? '')}`,
    auth: 'api-key',
    framing: 'sse',
    streamUsage: 'stream_options',
  },
  anthropic: {
    formats: { 'anthropic-messages': { path: () => '/messages' } },
    countTokens: () => '/messages/count_tokens',
    chat: 'anthropic-messages',
    auth: 'anthropic',
    framing: 'sse',
  },
  bedrock: {
    formats: {
      'bedrock-converse': {
        path: (model, stream) => `/model/${enc(model)}/${stream ? 'converse-stream' : 'converse'}`,
      },
    },
    chat: 'bedrock-converse',
    auth: 'aws',
    framing: 'aws-eventstream',
  },
  gemini: {
    formats: {
      gemini: {
        path: (model, stream) =>
          `/models/${enc(model)}:${stream ? 'streamGenerateContent?alt=sse' : 'generateContent'}`,
      },
    },
    chat: 'gemini',
    auth: 'goog-api-key',
    framing: 'sse',
  },
  vertex: {
    formats: {
      gemini: {
        path: (model, stream, r) =>
          `${vertexBase(r, 'google', model)}:${stream ? 'streamGenerateContent?alt=sse' : 'generateContent'}`,
      },
    },
    chat: 'gemini',
    // Vertex's REST API has refused the `id` field of function calls and responses.
    codecs: { gemini: geminiFormatWithoutCallIds },
    auth: 'google-oauth',
    framing: 'sse',
  },
};

/** Claude on Vertex AI: Anthropic's Messages format, with the model in the path and a Vertex version. */
export const VERTEX_ANTHROPIC: ProviderProfile = {
  formats: {
    'anthropic-messages': {
      path: (model, stream, r) =>
        `${vertexBase(r, 'anthropic', model)}:${stream ? 'streamRawPredict' : 'rawPredict'}`,
      quirks: { remove: ['model'], set: { anthropic_version: 'vertex-2023-10-16' } },
    },
  },
  chat: 'anthropic-messages',
  auth: 'google-oauth',
  framing: 'sse',
};

/** The profile serving `model` on `provider`: Vertex serves Claude models through Anthropic's format. */
export function profileFor(provider: Exclude<CompiledProvider, 'mock'>, model: string): ProviderProfile {
  if (provider === 'vertex' && model.startsWith('claude')) return VERTEX_ANTHROPIC;
  return PROFILES[provider];
}

/** The mock provider answers in OpenAI's Chat Completions format, in-process. */
export const MOCK_PROFILE: ProviderProfile = openAICompatible(openAIChat, 'stream_options');

/** Would the quirks change this body? (If not, the caller's bytes can go as they are.) */
export function quirksChange(body: Record<string, unknown>, q: BodyQuirks | undefined): boolean {
  if (!q) return false;
  for (const from in q.rename) if (from in body) return true;
  for (const k of q.remove ?? []) if (k in body) return true;
  for (const k in q.set) if (body[k] !== q.set[k]) return true;
  return false;
}

/** Applies body quirks in place. */
export function applyQuirks(
  body: Record<string, unknown>,
  q: BodyQuirks | undefined,
): Record<string, unknown> {
  if (!q) return body;
  for (const [from, to] of Object.entries(q.rename ?? {})) {
    if (from in body) {
      body[to] = body[from];
      delete body[from];
    }
  }
  for (const k of q.remove ?? []) delete body[k];
  Object.assign(body, q.set);
  return body;
}
