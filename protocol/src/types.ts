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

export interface CompiledPolicy {
  source: SourceRef;
  targets: { kind: 'Gateway' | 'Consumer'; name: string }[];
  parallel: boolean;
  /** Plugin configurations, normalised by compile. Empty until a plugin is implemented. */
  plugins: Record<string, never>;
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
