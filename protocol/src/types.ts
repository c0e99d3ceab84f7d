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

export type CompiledProvider = 'openai' | 'openai-compatible' | 'mock';

export interface CompiledRegistry {
  source: SourceRef;
  provider: CompiledProvider;
  /** Without a trailing slash; e.g. https://api.openai.com/v1. Empty for `mock`. */
  baseUrl: string;
  /** The upstream credential, resolved from its Secret. */
  apiKey?: string;
  /** Served model names; empty means any model passes through. */
  models: string[];
  /** alias → served model name */
  aliases: Record<string, string>;
  timeouts: { connectMs: number; requestMs: number; idleMs: number };
  mock?: {
    latencyMs: number;
    chunkDelayMs: number;
    failureRate: number;
    failureStatus: number;
    reply?: string;
  };
}

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
  strategy: 'Weighted';
  /** May be empty when every target's reference failed to resolve: requests get 503. */
  targets: CompiledTarget[];
}

export interface CompiledConsumer {
  source: SourceRef;
  /** Gateway resource name `{namespace}/{name}`. */
  gateway: string;
  slug: string;
  /** SHA-256 hex digests of the consumer's API keys. */
  apiKeyHashes: string[];
  routes: CompiledRoute[];
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
