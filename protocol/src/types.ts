/**
 * What a proxy receives: one compiled resource per Gateway, Registry, Consumer and Policy.
 * The JSON Schema in protocol/schema/ is the validation source of truth; `types.conformance.test.ts`
 * keeps these types and the schema in step.
 *
 * Resource names are `{namespace}/{name}` of the source object. References between resources use
 * those names. Durations are milliseconds; secrets appear only where the proxy needs them
 * (a registry's upstream credential) and API keys only as SHA-256 hex digests.
 */

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
  provider: CompiledProvider;
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
   * Passive health (outlier ejection), per upstream model of this registry, per proxy. Compile
   * always sets it; a proxy that meets a registry without it applies HEALTH_DEFAULTS.
   */
  healthCheck?: CompiledHealthCheck;
  mock?: {
    latencyMs: number;
    chunkDelayMs: number;
    failureRate: number;
    failureStatus: number;
    reply?: string;
  };
}

export interface CompiledHealthCheck {
  /** Failures in a row (connect error, timeout, 5xx; never 4xx) that eject the upstream. */
  passive: { consecutiveFailures: number; ejectionMs: number };
}

export const HEALTH_DEFAULTS: CompiledHealthCheck = {
  passive: { consecutiveFailures: 5, ejectionMs: 30_000 },
};

export interface CompiledTarget {
  /** Registry resource name `{namespace}/{name}`. */
  registry: string;
  /** Model sent upstream; absent: the requested model (after the registry's aliases). */
  model?: string;
  weight: number;
  priority: number;
}

export interface CompiledRoute {
  /** Requested model name, or "*" for the catch-all. */
  model: string;
  strategy: CompiledStrategy;
  /** May be empty when every target's reference failed to resolve: requests get 503. */
  targets: CompiledTarget[];
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
  /** Empty: never retry. */
  on: RetryOn[];
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
}

export type RateLimitKey = 'Consumer' | 'Gateway' | 'APIKey' | 'ClientIP' | 'Header';
export type FailureMode = 'FailOpen' | 'FailClosed';

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
 * The plugins the proxy implements, normalised by compile (defaults applied, durations in ms).
 * Plugins the CRD models but the proxy does not implement yet are refused by compile, never sent.
 */
export interface CompiledPolicyPlugins {
  rateLimit?: CompiledRateLimit;
  requestSize?: CompiledRequestSize;
  cors?: CompiledCors;
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

/** `{kind}/{namespace}/{name}`: unique across kinds. */
export function resourceKey(r: { kind: ResourceKind; name: string }): string {
  return `${r.kind}/${r.name}`;
}
