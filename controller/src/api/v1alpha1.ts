/**
 * The user-facing API (group tollgate.dev, version v1alpha1) as the controller's code sees it.
 * The CRDs in crds/ are the source of truth for validation; `v1alpha1.conformance.test.ts` fails
 * when a CRD field is missing here or a field here is missing from the CRD.
 */

import type {
  A2AAgentSettings,
  ConsumerAgent,
  ConsumerMcp,
  GatewayApprovals,
  McpServerSettings,
} from './v1alpha1-agents';
import type { Duration, LocalRef, SecretKeyRef } from './v1alpha1-common';

export * from './v1alpha1-agents';
export * from './v1alpha1-common';

export const GROUP = 'tollgate.dev';
export const VERSION = 'v1alpha1';
export const API_VERSION = `${GROUP}/${VERSION}`;

export const KINDS = ['Gateway', 'Registry', 'Consumer', 'Policy'] as const;
export type Kind = (typeof KINDS)[number];

export interface ObjectMeta {
  name: string;
  namespace?: string;
  uid?: string;
  generation?: number;
  resourceVersion?: string;
  creationTimestamp?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

// ---------------------------------------------------------------- Gateway

export type DiscoveryMode = 'HeaderThenHost' | 'HostOnly';

export interface GatewaySpec {
  /** DNS label; requests name it in X-AG-Gateway-Slug or as the first label of the Host. */
  slug: string;
  /** Explicit hostnames the gateway answers. */
  hostnames?: string[];
  /** When set, the gateway also answers `{slug}.{baseDomain}`. */
  baseDomain?: string;
  discovery?: { mode?: DiscoveryMode };
  /** The proxy fleet that serves this gateway (default "default"). */
  fleet?: string;
  telemetry?: { exporters?: TelemetryExporter[] };
  defaults?: GatewayDefaults;
  /** The MCP endpoint's settings: the keys that seal session ids, and their lifetimes. */
  mcp?: {
    /** The first seals new sessions; all open sessions sealed earlier. */
    sessionKeys: { id: string; secretRef: SecretKeyRef }[];
    /** Absolute session lifetime from initialize (default 24h). */
    sessionTtl?: Duration;
    /** Sessions unused this long are refused by a proxy that saw them (default 1h). */
    idleTimeout?: Duration;
    /** Human approval of the tool calls consumers list in spec.mcp.requireApproval. */
    approvals?: GatewayApprovals;
  };
}

export interface TelemetryExporter {
  type: 'kafka' | 'otlp';
  kafka?: { brokers: string[]; topic: string; clientId?: string };
  otlp?: { endpoint: string; headers?: Record<string, string> };
}

export interface GatewayDefaults {
  /** Largest accepted request body (default 10 MiB). */
  maxRequestBodyBytes?: number;
  /** Total time allowed for one request, upstream included (default 300s). */
  requestTimeout?: Duration;
}

// ---------------------------------------------------------------- Registry

export const PROVIDERS = [
  'openai',
  'azure-openai',
  'anthropic',
  'bedrock',
  'gemini',
  'vertex',
  'groq',
  'mistral',
  'deepseek',
  'openai-compatible',
  'mcp',
  'a2a',
  'mock',
] as const;
export type ProviderType = (typeof PROVIDERS)[number];

export interface RegistrySpec {
  provider: ProviderType;
  /** Upstream base URL including the API prefix, e.g. https://api.openai.com/v1. */
  baseUrl?: string;
  /**
   * The upstream credential: an API key, a Bedrock API key, or for vertex a service-account key
   * (JSON) exchanged for access tokens.
   */
  credentials?: { secretRef: SecretKeyRef };
  /** Azure OpenAI: the deployment is the upstream model name. */
  azure?: { apiVersion?: string };
  bedrock?: {
    region: string;
    /** IAM access keys for SigV4, instead of `credentials` (a Bedrock API key). */
    accessKeys?: {
      accessKeyIdSecretRef: SecretKeyRef;
      secretAccessKeySecretRef: SecretKeyRef;
      sessionTokenSecretRef?: SecretKeyRef;
    };
  };
  vertex?: { project: string; location: string };
  /** Models this registry serves. Empty: any model name is passed through. */
  models?: RegistryModel[];
  timeouts?: {
    /** TCP/TLS connect timeout (default 10s). */
    connect?: Duration;
    /** Time to the upstream's response headers (default 300s). */
    request?: Duration;
    /** Longest silence between two chunks of a streamed body (default 60s). */
    idle?: Duration;
  };
  healthCheck?: {
    passive?: { consecutiveFailures?: number; ejectionDuration?: Duration };
    active?: {
      interval?: Duration;
      timeout?: Duration;
      unhealthyThreshold?: number;
      healthyThreshold?: number;
      path?: string;
    };
  };
  /** Settings of the built-in `mock` provider. */
  mock?: MockSettings;
  /** The MCP server of provider `mcp`. */
  mcp?: McpServerSettings;
  /** The A2A agent behind provider `a2a`: JSON-RPC at baseUrl, its card at baseUrl + cardPath. */
  a2a?: A2AAgentSettings;
}

export interface RegistryModel {
  name: string;
  /** Other names a consumer may use for this model. */
  aliases?: string[];
}

export interface MockSettings {
  /** Delay before the response starts (default 0ms). */
  latency?: Duration;
  /** Delay between streamed chunks (default 0ms). */
  chunkDelay?: Duration;
  /** Fraction of requests that fail, 0..1 (default 0). */
  failureRate?: number;
  /** Status of a failed request (default 500). */
  failureStatus?: number;
  /** Fixed reply text; by default the reply echoes the last user message. */
  reply?: string;
}

// ---------------------------------------------------------------- Consumer

export const LB_STRATEGIES = [
  'Weighted',
  'RoundRobin',
  'LeastConnections',
  'Random',
  'IPHash',
  'LatencyAware',
] as const;
export type LoadBalancingStrategy = (typeof LB_STRATEGIES)[number];

export interface ConsumerSpec {
  gatewayRef: LocalRef;
  /** DNS label; requests address the consumer as /{slug}/v1/... */
  slug: string;
  credentials: {
    apiKeys?: { secretRef: SecretKeyRef }[];
    /** OAuth access-token issuers, accepted at /{slug}/mcp (resource-server mode). */
    jwt?: JwtIssuer[];
  };
  /** Required unless `mcp` is set. */
  routes?: ModelRoute[];
  /** When and how often a failed upstream call is tried again, on the same or the next target. */
  retry?: RetryPolicy;
  mcp?: ConsumerMcp;
  /** The A2A agents this consumer reaches at /{slug}/a2a/{name}. */
  a2a?: { agents?: ConsumerAgent[] };
}

export const JWT_ALGORITHMS = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
] as const;
export type JwtAlgorithm = (typeof JWT_ALGORITHMS)[number];

export interface JwtIssuer {
  issuer: string;
  /** Default: discovered from the issuer's metadata. */
  jwksUri?: string;
  /** Default: the consumer's MCP resource URL as the client reached it. */
  audiences?: string[];
  /** Default: all of JWT_ALGORITHMS. */
  algorithms?: JwtAlgorithm[];
}

export const RETRY_ON = ['ConnectError', 'Timeout', 'RateLimited', 'ServerError'] as const;
export type RetryOn = (typeof RETRY_ON)[number];

export interface RetryPolicy {
  /** Tries in total, the first included, 1..10 (default 3; 1 disables retries and fallback). */
  attempts?: number;
  /** Time to the response headers of one try (default: only the registry's timeouts). */
  perTryTimeout?: Duration;
  /** Base of the jittered exponential backoff before the same upstream is tried again (default 25ms). */
  backoff?: Duration;
  /** Failures that trigger a retry or fallback (default all four). Not `on`: YAML 1.1 reads that as true. */
  retryOn?: RetryOn[];
}

export interface ModelRoute {
  /** Model name the consumer asks for; "*" matches any model not matched otherwise. */
  model: string;
  strategy?: LoadBalancingStrategy;
  targets: RouteTarget[];
}

export interface RouteTarget {
  registryRef: LocalRef;
  /** Model name sent upstream instead of the requested one. */
  model?: string;
  /** Relative share of traffic (default 1). */
  weight?: number;
  /** Fallback order: lower first (default 0). */
  priority?: number;
  /** Conditions on the request, all of which must hold for this target to take it (default: none). */
  match?: TargetCondition[];
}

/** Exactly one of `header` and `field`: its value must equal one of `values`. */
export interface TargetCondition {
  /** A request header name (any case). */
  header?: string;
  /** A dotted path into the JSON request body, e.g. `metadata.tier`. */
  field?: string;
  values: string[];
}

// ---------------------------------------------------------------- Policy

/** Every plugin a Policy can configure (the CRD's spec.plugins properties). */
export const POLICY_PLUGINS = [
  'rateLimit',
  'tokenRateLimit',
  'budget',
  'requestSize',
  'cors',
  'promptGuard',
  'semanticCache',
  'toolGuard',
] as const;
export const LIMIT_KEYS = ['Consumer', 'Gateway', 'APIKey', 'ClientIP', 'Header'] as const;
export type LimitKey = (typeof LIMIT_KEYS)[number];
export const RATE_LIMIT_ALGORITHMS = ['SlidingWindow', 'TokenBucket'] as const;
export const FAILURE_MODES = ['FailOpen', 'FailClosed'] as const;
export type FailureMode = (typeof FAILURE_MODES)[number];

export interface PolicySpec {
  targetRefs: { kind: 'Gateway' | 'Consumer'; name: string }[];
  /** Run the plugins of one stage concurrently. */
  parallel?: boolean;
  plugins: PolicyPlugins;
}

export interface PolicyPlugins {
  rateLimit?: {
    requests: number;
    window: Duration;
    key?: LimitKey;
    header?: string;
    algorithm?: (typeof RATE_LIMIT_ALGORITHMS)[number];
    failureMode?: FailureMode;
  };
  tokenRateLimit?: {
    tokens: number;
    window: Duration;
    key?: LimitKey;
    header?: string;
    estimatePrompt?: boolean;
    failureMode?: FailureMode;
  };
  budget?: {
    amountUSD: string;
    period: 'Hour' | 'Day' | 'Week' | 'Month';
    scope?: 'Consumer' | 'APIKey' | 'Gateway';
    softLimitPercent?: number;
    downgradeModel?: string;
    prices?: { model: string; inputPerMTok: string; outputPerMTok: string; cachedInputPerMTok?: string }[];
  };
  requestSize?: { maxBodyBytes?: number; maxMessages?: number };
  cors?: {
    allowOrigins: string[];
    allowMethods?: string[];
    allowHeaders?: string[];
    exposeHeaders?: string[];
    allowCredentials?: boolean;
    maxAge?: Duration;
  };
  promptGuard?: {
    action?: 'Mask' | 'Reject';
    detectors?: ('Email' | 'Phone' | 'CreditCard' | 'SSN' | 'IBAN')[];
    patterns?: { name: string; regex: string }[];
    applyTo?: ('Request' | 'Response')[];
    webhook?: { url: string; timeout?: Duration; failureMode?: FailureMode };
  };
  semanticCache?: {
    embeddingRegistryRef: LocalRef;
    embeddingModel: string;
    threshold?: number;
    ttl?: Duration;
    scope?: 'Consumer' | 'Gateway';
  };
  toolGuard?: {
    mode?: 'Enforce' | 'Observe';
    pin?: 'FirstSeen' | 'Declared';
    pinned?: { tool: string; sha256: string }[];
    detectHiddenInstructions?: boolean;
    allowUrlHosts?: string[];
  };
}

// ---------------------------------------------------------------- objects

export interface Condition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason: string;
  message: string;
  observedGeneration?: number;
  lastTransitionTime?: string;
}

export interface Status {
  observedGeneration?: number;
  conditions?: Condition[];
}

interface Object<K extends Kind, S> {
  apiVersion: typeof API_VERSION;
  kind: K;
  metadata: ObjectMeta;
  spec: S;
  status?: Status;
}

export type Gateway = Object<'Gateway', GatewaySpec>;
export type Registry = Object<'Registry', RegistrySpec>;
export type Consumer = Object<'Consumer', ConsumerSpec>;
export type Policy = Object<'Policy', PolicySpec>;
export type TollgateObject = Gateway | Registry | Consumer | Policy;

/** The subset of core/v1 Secret that compile reads. */
export interface Secret {
  apiVersion: 'v1';
  kind: 'Secret';
  metadata: ObjectMeta;
  /** base64-encoded values */
  data?: Record<string, string>;
  /** plain values (write-only in Kubernetes; honoured in standalone mode) */
  stringData?: Record<string, string>;
}
