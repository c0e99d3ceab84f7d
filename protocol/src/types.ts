/**
 * What a proxy receives: one compiled resource per Gateway, Registry, Consumer and Policy.
 * The JSON Schema in protocol/schema/ is the validation source of truth; `types.conformance.test.ts`
 * keeps these types and the schema in step.
 *
 * Resource names are `{namespace}/{name}` of the source object. References between resources use
 * those names. Durations are milliseconds; secrets appear only where the proxy needs them
 * (a registry's upstream credential) and API keys only as SHA-256 hex digests.
 */

import type {
  CompiledA2AAgent,
  CompiledApprovals,
  CompiledConsumerA2A,
  CompiledConsumerMcp,
  CompiledGatewayMcp,
  CompiledJwtIssuer,
  CompiledMcpServer,
  CompiledToolGuard,
} from './agent-types';
import type { FailureMode } from './common-types';
import type { CompiledHealthCheck } from './health-types';

export * from './agent-types';
export * from './common-types';
export * from './health-types';

export const PROTOCOL_VERSION = 'tollgate.dev/v1alpha1';

export const RESOURCE_KINDS = ['Gateway', 'Registry', 'Consumer', 'Policy'] as const;
export type ResourceKind = (typeof RESOURCE_KINDS)[number];

/** Type URLs on the discovery stream, one per kind. */
export const TYPE_URLS: Record<ResourceKind, string> = {
  Gateway: 'type.tollgate.dev/tollgate.v1alpha1.Gateway',
  Registry: 'type.tollgate.dev/tollgate.v1alpha1.Registry',
  Consumer: 'type.tollgate.dev/tollgate.v1alpha1.Consumer',
  Policy: 'type.tollgate.dev/tollgate.v1alpha1.Policy',
};

/** The object a resource was compiled from; generation lets status say which spec is programmed. */
export interface SourceRef {
  namespace: string;
  name: string;
  generation: number;
}

export interface CompiledGateway {
  source: SourceRef;
  slug: string;
  /** Lower-case hostnames, explicit ones plus `{slug}.{baseDomain}`. */
  hostnames: string[];
  discovery: 'HeaderThenHost' | 'HostOnly';
  fleet: string;
  limits: { maxRequestBodyBytes: number; requestTimeoutMs: number };
  /** Present when the Gateway configures MCP session keys; without it, /{consumer}/mcp is refused. */
  mcp?: CompiledGatewayMcp;
  /** Human approval of MCP tool calls; present when the Gateway sets spec.mcp.approvals. */
  approvals?: CompiledApprovals;
}

export type CompiledProvider =
  | 'openai'
  | 'azure-openai'
  | 'anthropic'
  | 'bedrock'
  | 'gemini'
  | 'vertex'
  | 'groq'
  | 'mistral'
  | 'deepseek'
  | 'openai-compatible'
  | 'mock';

export interface CompiledRegistry {
  source: SourceRef;
  /**
   * A model provider (served at /{consumer}/v1/...), `mcp`: an MCP server (see `mcp`), or `a2a`:
   * an A2A agent (see `a2a`).
   */
  provider: CompiledProvider | 'mcp' | 'a2a';
  /** Without a trailing slash; e.g. https://api.openai.com/v1. Empty for `mock`. */
  baseUrl: string;
  /**
   * The upstream credential, resolved from its Secret: an API key (a Bedrock API key for bedrock),
   * or for vertex the service-account key JSON.
   */
  apiKey?: string;
  azure?: { apiVersion: string };
  /** Region, and IAM access keys when SigV4 signs the requests (no `apiKey` then). */
  bedrock?: { region: string; accessKeyId?: string; secretAccessKey?: string; sessionToken?: string };
  vertex?: { project: string; location: string };
  /** Served model names; empty means any model passes through. */
  models: string[];
  /** alias → served model name */
  aliases: Record<string, string>;
  timeouts: { connectMs: number; requestMs: number; idleMs: number };
  /**
   * Passive health (outlier ejection), per upstream model of this registry, per proxy, plus
   * optional active probes of the registry. Compile always sets it; a proxy that meets a registry
   * without it applies HEALTH_DEFAULTS.
   */
  healthCheck?: CompiledHealthCheck;
  mock?: {
    latencyMs: number;
    chunkDelayMs: number;
    failureRate: number;
    failureStatus: number;
    reply?: string;
  };
  /** Provider `mcp` only: the MCP server (baseUrl is empty then). */
  mcp?: CompiledMcpServer;
  /** Provider `a2a` only: the agent's card and headers (JSON-RPC goes to baseUrl). */
  a2a?: CompiledA2AAgent;
}

/** A registry that serves models: what a consumer's route targets are (compile guarantees it). */
export type ModelRegistry = CompiledRegistry & { provider: CompiledProvider };

export function isModelRegistry(r: CompiledRegistry): r is ModelRegistry {
  return r.provider !== 'mcp' && r.provider !== 'a2a';
}

export interface CompiledTarget {
  /** Registry resource name `{namespace}/{name}`. */
  registry: string;
  /** Model sent upstream; absent: the requested model (after the registry's aliases). */
  model?: string;
  weight: number;
  priority: number;
  /**
   * Conditions that must all hold for the target to take a request; absent: always eligible.
   * Never empty. Evaluated once per request, before balancing.
   */
  match?: CompiledCondition[];
}

/**
 * One condition of a target's `match`: a request header (`header`, lower-case) or a field of the
 * JSON request body (`field`, a dotted path; a string, number or boolean there, as a string) equals
 * one of `values` (case-sensitive; sorted, no duplicates). Exactly one of `header` and `field`.
 */
export type CompiledCondition =
  { header: string; field?: never; values: string[] } | { field: string; header?: never; values: string[] };

export interface CompiledRoute {
  /** Requested model name, or "*" for the catch-all. */
  model: string;
  strategy: CompiledStrategy;
  /** May be empty when every target's reference failed to resolve: requests get 503. */
  targets: CompiledTarget[];
  /**
   * The targets left out because their Registry reference did not resolve (the Consumer's
   * ResolvedRefs=False): a request the route cannot serve is told which ones. Absent when none.
   */
  unresolved?: UnresolvedTarget[];
}

/** A route target whose Registry does not exist (RefNotFound) or is not accepted (RefNotAccepted). */
export interface UnresolvedTarget {
  /** Registry resource name `{namespace}/{name}`. */
  registry: string;
  reason: 'RefNotFound' | 'RefNotAccepted';
}

/**
 * How a route's targets share traffic, within one priority group. LatencyAware (the default):
 * power of two choices by latency EWMA × (in-flight + 1) / weight; Weighted: random by weight;
 * RoundRobin and Random ignore weights; LeastConnections: fewest in flight per weight; IPHash:
 * weighted rendezvous hash of the client IP.
 */
export type CompiledStrategy =
  'Weighted' | 'RoundRobin' | 'LeastConnections' | 'Random' | 'IPHash' | 'LatencyAware';

/** Failures that make the proxy try again (the same upstream after a backoff, or the next one). */
export type RetryOn = 'ConnectError' | 'Timeout' | 'RateLimited' | 'ServerError';

/** Every field but perTryTimeoutMs defaulted by compile. */
export interface CompiledRetry {
  /** Tries in total, the first included (1 = no retry). */
  attempts: number;
  /** Time to the response headers of one try; absent: only the registry's own timeouts. */
  perTryTimeoutMs?: number;
  /** Base of the jittered exponential backoff before trying the same upstream again. */
  backoffMs: number;
  /** Empty: never retry. (Named as in the Consumer CRD, where `on` would be YAML 1.1's true.) */
  retryOn: RetryOn[];
}

export interface CompiledConsumer {
  source: SourceRef;
  /** Gateway resource name `{namespace}/{name}`. */
  gateway: string;
  slug: string;
  /** SHA-256 hex digests of the consumer's API keys. */
  apiKeyHashes: string[];
  routes: CompiledRoute[];
  retry: CompiledRetry;
  /** The MCP servers this consumer reaches at /{slug}/mcp; absent: none. */
  mcp?: CompiledConsumerMcp;
  /** The A2A agents this consumer reaches at /{slug}/a2a/{name}; absent: none. */
  a2a?: CompiledConsumerA2A;
  /** OAuth access-token issuers accepted at /{slug}/mcp (resource-server mode); absent: none. */
  jwt?: CompiledJwtIssuer[];
}

export type RateLimitKey = 'Consumer' | 'Gateway' | 'APIKey' | 'ClientIP' | 'Header';

/** Requests per window, counted per key; every field defaulted by compile; requests × windowMs < 2^51. */
export interface CompiledRateLimit {
  requests: number;
  windowMs: number;
  algorithm: 'SlidingWindow' | 'TokenBucket';
  key: RateLimitKey;
  /** Lower-case header name; present exactly when `key` is Header. */
  header?: string;
  /** When the shared counter store (Redis) is unreachable: count in-process, or refuse with 503. */
  failureMode: FailureMode;
}

/**
 * Tokens per window (input + output as the upstream reported them, streams included), charged per
 * key after each response; a sliding-window counter whose decay moves in steps of 1/1000 of the
 * window (every millisecond for windows up to 1 s). tokens <= 2^33.
 */
export interface CompiledTokenRateLimit {
  tokens: number;
  windowMs: number;
  /** Also refuse up front when the prompt's estimate (characters / 4) exceeds the tokens left. */
  estimatePrompt: boolean;
  key: RateLimitKey;
  /** Lower-case header name; present exactly when `key` is Header. */
  header?: string;
  failureMode: FailureMode;
}

export type BudgetPeriod = 'Hour' | 'Day' | 'Week' | 'Month';
export type BudgetScope = 'Consumer' | 'APIKey' | 'Gateway';

/**
 * A model's prices in whole micro-dollars per million tokens, which is also pico-dollars per token:
 * a response's cost is an exact integer. Each at most 10^10 ($10,000 per million tokens).
 */
export interface CompiledBudgetPrice {
  model: string;
  inputMicroUSDPerMTok: number;
  outputMicroUSDPerMTok: number;
  /** Cached input tokens; compile defaults it to the input price. */
  cachedInputMicroUSDPerMTok: number;
}

/** A dollar budget per scope key over a calendar period in UTC (weeks start on Monday). */
export interface CompiledBudget {
  /** Whole micro-dollars, 1 to 10^12 ($1,000,000). */
  amountMicroUSD: number;
  period: BudgetPeriod;
  scope: BudgetScope;
  /** From `percent`% of the amount spent (1-99), chat requests are sent to `downgradeModel`. */
  softLimit?: { percent: number; downgradeModel: string };
  /** At least one; sorted by model, models unique. */
  prices: CompiledBudgetPrice[];
}

/** At least one field is set. */
export interface CompiledRequestSize {
  /** Replaces the gateway's `maxRequestBodyBytes` for the consumers the policy covers. */
  maxBodyBytes?: number;
  maxMessages?: number;
}

export interface CompiledCors {
  /** Lower-case origins (`scheme://host[:port]`), or exactly `["*"]`. */
  allowOrigins: string[];
  /** Upper-case methods; `*` answers a preflight with the method it asks for. */
  allowMethods: string[];
  /** Lower-case header names; `*` answers a preflight with the headers it asks for. */
  allowHeaders: string[];
  /** Lower-case header names; `*` only without credentials. */
  exposeHeaders: string[];
  allowCredentials: boolean;
  /** How long a browser may cache a preflight; absent: no Access-Control-Max-Age. */
  maxAgeMs?: number;
}

/**
 * Answers chat requests from responses to similar earlier prompts. Compile resolved the embedding
 * registry (it serves OpenAI-style embeddings and goes to every fleet the Policy goes to).
 */
export interface CompiledSemanticCache {
  /** Registry resource name `{namespace}/{name}` that embeds prompts. */
  embeddingRegistry: string;
  /** Embedding model as the registry is asked for it (its aliases still apply). */
  embeddingModel: string;
  /** Cosine similarity, 0 to 1, at or above which an earlier prompt's answer is served. */
  threshold: number;
  /** How long a stored answer may be served. */
  ttlMs: number;
  /** Whose entries a lookup sees: the consumer's own, or every consumer's of the gateway. */
  scope: 'Consumer' | 'Gateway';
}

export type GuardDetector = 'Email' | 'Phone' | 'CreditCard' | 'SSN' | 'IBAN';

/** The flags every promptGuard pattern is compiled with, by compile (to check it) and by the proxy. */
export const GUARD_PATTERN_FLAGS = 'gu';

/**
 * Finds PII (built-in detectors) and named patterns in prompts and/or responses (streamed ones as
 * they stream), and masks or rejects them; optionally asks an external guard service (not for streams). Compile guarantees at least one
 * detector, pattern or webhook.
 */
export interface CompiledPromptGuard {
  action: 'Mask' | 'Reject';
  /** Distinct, in the order Email, Phone, CreditCard, SSN, IBAN. */
  detectors: GuardDetector[];
  /**
   * Distinct names (none a detector's); each regex compiles with GUARD_PATTERN_FLAGS, cannot match
   * the empty string and has no nested unbounded quantifier.
   */
  patterns: { name: string; regex: string }[];
  /** Distinct, at least one, Request before Response. */
  applyTo: ('Request' | 'Response')[];
  /** An http(s) URL without credentials; timeoutMs bounds the whole call. */
  webhook?: { url: string; timeoutMs: number; failureMode: FailureMode };
}

/**
 * The plugins the proxy implements, normalised by compile (defaults applied, durations in ms).
 * Plugins the CRD models but the proxy does not implement yet are refused by compile, never sent.
 */
export interface CompiledPolicyPlugins {
  rateLimit?: CompiledRateLimit;
  tokenRateLimit?: CompiledTokenRateLimit;
  budget?: CompiledBudget;
  requestSize?: CompiledRequestSize;
  cors?: CompiledCors;
  promptGuard?: CompiledPromptGuard;
  semanticCache?: CompiledSemanticCache;
  toolGuard?: CompiledToolGuard;
}

export type PluginName = keyof CompiledPolicyPlugins;

export interface CompiledPolicy {
  source: SourceRef;
  /**
   * Resolved targets only, sorted. A Gateway target covers all its consumers; a Consumer target's
   * setting of a plugin overrides the Gateway-level one. Compile guarantees that no two emitted
   * Policies set the same plugin on the same target.
   */
  targets: { kind: 'Gateway' | 'Consumer'; name: string }[];
  /** Run the plugins of one stage concurrently. */
  parallel: boolean;
  /** At least one plugin. */
  plugins: CompiledPolicyPlugins;
}

export interface CompiledBodies {
  Gateway: CompiledGateway;
  Registry: CompiledRegistry;
  Consumer: CompiledConsumer;
  Policy: CompiledPolicy;
}

export interface Resource<K extends ResourceKind = ResourceKind> {
  kind: K;
  /** `{namespace}/{name}` */
  name: string;
  /** Content hash of `body`: equal bodies give equal versions on every controller replica. */
  version: string;
  body: CompiledBodies[K];
}

export type AnyResource = { [K in ResourceKind]: Resource<K> }[ResourceKind];

/**
 * `{kind}/{namespace}/{name}`: unique across kinds. `name` is a resource's `{namespace}/{name}`, or
 * an object's own name when `namespace` is given apart (a status, an object's metadata).
 */
export function resourceKey(r: { kind: ResourceKind; name: string; namespace?: string }): string {
  return r.namespace === undefined ? `${r.kind}/${r.name}` : `${r.kind}/${r.namespace}/${r.name}`;
}
