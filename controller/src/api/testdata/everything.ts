import type {
  Consumer,
  ConsumerSpec,
  Gateway,
  GatewaySpec,
  Policy,
  PolicySpec,
  Registry,
  RegistrySpec,
} from '../v1alpha1';

/**
 * One object per kind with every field of the API set. Typed with the interfaces of v1alpha1.ts, so
 * TypeScript rejects a field the types lack, and checked by `Missing` below, so TypeScript also
 * rejects a field of the types that the fixture leaves out. The conformance test checks that the
 * CRDs accept each object (so no type field is missing from a CRD) and that every CRD field appears
 * here (so no CRD field is missing from the types).
 */

type KeysOfUnion<V> = V extends unknown ? keyof V : never;
type ValueAt<V, K> = V extends unknown ? (K extends keyof V ? V[K] : never) : never;
/**
 * The paths of fields of type T that value type V never sets (never when V covers T). An array's
 * elements count together, so one element may set `kafka` and another `otlp`; free-form maps
 * (Record<string, …>) are leaves.
 */
type Missing<T, V> =
  NonNullable<T> extends readonly (infer U)[]
    ? Missing<U, V extends readonly (infer W)[] ? W : never>
    : NonNullable<T> extends object
      ? string extends keyof NonNullable<T>
        ? never
        : {
            [K in keyof NonNullable<T> & string]-?: K extends KeysOfUnion<V>
              ? Missing<NonNullable<T>[K], ValueAt<V, K>> extends infer M extends string
                ? [M] extends [never]
                  ? never
                  : `${K}.${M}`
                : never
              : K;
          }[keyof NonNullable<T> & string]
      : never;
/** Compiles only when V sets every field of T; otherwise the error names the missing paths. */
type Covers<T, V> = [Missing<T, V>] extends [never] ? true : Missing<T, V>;
const meta = (name: string) => ({ name, namespace: 'everything', labels: { team: 'a' }, annotations: { note: 'x' } });

export const gateway = {
  apiVersion: 'tollgate.dev/v1alpha1',
  kind: 'Gateway',
  metadata: meta('gw'),
  spec: {
    slug: 'gw',
    hostnames: ['llm.example.com', '*.ai.example.com'],
    baseDomain: 'gateways.example.com',
    discovery: { mode: 'HostOnly' },
    fleet: 'edge',
    telemetry: {
      exporters: [
        { type: 'kafka', kafka: { brokers: ['kafka:9092'], topic: 'events', clientId: 'tollgate' } },
        { type: 'otlp', otlp: { endpoint: 'http://otel:4318', headers: { 'x-token': 't' } } },
      ],
    },
    defaults: { maxRequestBodyBytes: 4096, requestTimeout: '1m30s' },
    mcp: {
      sessionKeys: [{ id: 'k1', secretRef: { name: 'mcp', key: 'k1' } }],
      sessionTtl: '12h',
      idleTimeout: '30m',
      approvals: {
        timeout: '10m',
        webhook: { url: 'https://hooks.example.com/approvals', secretRef: { name: 'hooks', key: 'hmac' } },
      },
    },
  },
  status: {
    observedGeneration: 2,
    conditions: [
      {
        type: 'Accepted',
        status: 'True',
        reason: 'Accepted',
        message: 'ok',
        observedGeneration: 2,
        lastTransitionTime: '2026-01-01T00:00:00Z',
      },
    ],
  },
} satisfies Gateway;

export const registry = {
  apiVersion: 'tollgate.dev/v1alpha1',
  kind: 'Registry',
  metadata: meta('reg'),
  spec: {
    provider: 'mock',
    baseUrl: 'https://api.example.com/v1',
    credentials: { secretRef: { name: 'creds', key: 'apiKey' } },
    azure: { apiVersion: '2024-10-21' },
    bedrock: {
      region: 'eu-west-1',
      accessKeys: {
        accessKeyIdSecretRef: { name: 'aws', key: 'id' },
        secretAccessKeySecretRef: { name: 'aws', key: 'secret' },
        sessionTokenSecretRef: { name: 'aws', key: 'token' },
      },
    },
    vertex: { project: 'my-project', location: 'us-central1' },
    models: [{ name: 'm1', aliases: ['alias-1'] }],
    timeouts: { connect: '2s', request: '30s', idle: '500ms' },
    healthCheck: {
      passive: { consecutiveFailures: 3, ejectionDuration: '30s' },
      active: { interval: '10s', timeout: '1s', unhealthyThreshold: 3, healthyThreshold: 2, path: '/models' },
    },
    mock: { latency: '10ms', chunkDelay: '5ms', failureRate: 0.25, failureStatus: 503, reply: 'hello' },
    mcp: {
      transport: 'Stdio',
      url: 'https://tools.example.com/mcp',
      headers: [
        { name: 'X-Team', value: 'a' },
        { name: 'X-Token', secretRef: { name: 'mcp', key: 'token' } },
      ],
      command: 'npx',
      args: ['-y', '@modelcontextprotocol/server-everything'],
      env: [
        { name: 'MODE', value: 'x' },
        { name: 'TOKEN', secretRef: { name: 'mcp', key: 'token' } },
      ],
    },
    a2a: {
      cardPath: '/.well-known/agent-card.json',
      cardCacheTtl: '10s',
      headers: [
        { name: 'X-Team', value: 'a' },
        { name: 'X-Agent-Key', secretRef: { name: 'agent', key: 'key' } },
      ],
    },
  },
} satisfies Registry;

export const consumer = {
  apiVersion: 'tollgate.dev/v1alpha1',
  kind: 'Consumer',
  metadata: meta('con'),
  spec: {
    gatewayRef: { name: 'gw' },
    slug: 'con',
    credentials: {
      apiKeys: [{ secretRef: { name: 'keys', key: 'a' } }],
      jwt: [
        {
          issuer: 'https://issuer',
          jwksUri: 'https://issuer/jwks',
          audiences: ['tollgate'],
          algorithms: ['RS256', 'ES256'],
        },
      ],
    },
    routes: [
      {
        model: 'chat',
        strategy: 'RoundRobin',
        targets: [
          {
            registryRef: { name: 'reg' },
            model: 'm1',
            weight: 2,
            priority: 1,
            match: [
              { header: 'X-Tier', values: ['gold', 'silver'] },
              { field: 'metadata.tier', values: ['gold'] },
            ],
          },
        ],
      },
    ],
    retry: { attempts: 4, perTryTimeout: '20s', backoff: '50ms', retryOn: ['ConnectError', 'RateLimited'] },
    mcp: {
      servers: [
        { registryRef: { name: 'weather' }, prefix: 'weather' },
        { registryRef: { name: 'files' }, prefix: 'files' },
      ],
      tools: { allow: ['weather_*', 'files_read_*'], deny: ['*_delete*'] },
      prompts: { allow: ['*'], deny: ['files_*'] },
      resources: { allow: ['weather+*'], deny: ['weather+secret:*'] },
      exposeAs: [{ tool: 'weather_get_forecast', as: 'forecast' }],
      requireApproval: ['files_write_*'],
      onServerDown: 'FailClosed',
      oauth: { scopes: [{ scope: 'weather:read', tools: ['weather_get_*'] }] },
    },
    a2a: { agents: [{ registryRef: { name: 'agent' }, name: 'helper' }] },
  },
} satisfies Consumer;

export const policy = {
  apiVersion: 'tollgate.dev/v1alpha1',
  kind: 'Policy',
  metadata: meta('pol'),
  spec: {
    targetRefs: [{ kind: 'Gateway', name: 'gw' }],
    parallel: true,
    plugins: {
      rateLimit: {
        requests: 100,
        window: '1m',
        key: 'Header',
        header: 'x-user',
        algorithm: 'TokenBucket',
        failureMode: 'FailClosed',
      },
      tokenRateLimit: {
        tokens: 10000,
        window: '1h',
        key: 'Header',
        header: 'x-user',
        estimatePrompt: true,
        failureMode: 'FailOpen',
      },
      budget: {
        amountUSD: '12.50',
        period: 'Month',
        scope: 'APIKey',
        softLimitPercent: 80,
        downgradeModel: 'cheap',
        prices: [{ model: 'm1', inputPerMTok: '2.5', outputPerMTok: '10', cachedInputPerMTok: '1.25' }],
      },
      requestSize: { maxBodyBytes: 1024, maxMessages: 20 },
      cors: {
        allowOrigins: ['https://app.example.com'],
        allowMethods: ['POST'],
        allowHeaders: ['authorization'],
        exposeHeaders: ['x-request-id'],
        allowCredentials: true,
        maxAge: '10m',
      },
      promptGuard: {
        action: 'Mask',
        detectors: ['Email', 'Phone', 'CreditCard', 'SSN', 'IBAN'],
        patterns: [{ name: 'ticket', regex: 'T-[0-9]+' }],
        applyTo: ['Request', 'Response'],
        webhook: { url: 'http://guard', timeout: '2s', failureMode: 'FailOpen' },
      },
      semanticCache: {
        embeddingRegistryRef: { name: 'reg' },
        embeddingModel: 'text-embedding-3-small',
        threshold: 0.9,
        ttl: '1h',
        scope: 'Gateway',
      },
      toolGuard: {
        mode: 'Observe',
        pin: 'Declared',
        pinned: [{ tool: 'fs_read_file', sha256: 'a'.repeat(64) }],
        detectHiddenInstructions: false,
        allowUrlHosts: ['docs.example.org', '*.internal.example.com'],
      },
    },
  },
} satisfies Policy;

export const coversEveryField: [
  Covers<GatewaySpec, typeof gateway.spec>,
  Covers<RegistrySpec, typeof registry.spec>,
  Covers<ConsumerSpec, typeof consumer.spec>,
  Covers<PolicySpec, typeof policy.spec>,
] = [true, true, true, true];

export const everything = { Gateway: gateway, Registry: registry, Consumer: consumer, Policy: policy };
