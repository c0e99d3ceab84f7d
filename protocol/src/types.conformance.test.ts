import { readFileSync } from 'node:fs';
import { contentHash } from './hash';
import { schemaFile, validateResource } from './schema';
import type {
  AnyResource,
  CompiledConsumer,
  CompiledGateway,
  CompiledPolicy,
  CompiledRegistry,
} from './types';

const source = { namespace: 'ns', name: 'n', generation: 2 };
/** Every field of every compiled body, typed: TypeScript rejects a field the types lack. */
const bodies = {
  Gateway: {
    source,
    slug: 'gw',
    hostnames: ['a.example.com'],
    discovery: 'HostOnly',
    fleet: 'edge',
    limits: { maxRequestBodyBytes: 10, requestTimeoutMs: 1000 },
    mcp: {
      sessionKeys: [{ id: 'k1', key: Buffer.alloc(32, 1).toString('base64') }],
      sessionTtlMs: 86_400_000,
      idleTimeoutMs: 3_600_000,
    },
    approvals: { timeoutMs: 300_000, webhook: { url: 'https://hooks.example.com/a', signingKey: 'k' } },
  } satisfies CompiledGateway,
  Registry: {
    source,
    provider: 'mock',
    baseUrl: '',
    apiKey: 'secret',
    azure: { apiVersion: '2024-10-21' },
    bedrock: { region: 'us-east-1', accessKeyId: 'AKID', secretAccessKey: 's', sessionToken: 't' },
    vertex: { project: 'p', location: 'us-central1' },
    models: ['m'],
    aliases: { a: 'm' },
    timeouts: { connectMs: 1, requestMs: 2, idleMs: 3 },
    healthCheck: {
      passive: { consecutiveFailures: 5, ejectionMs: 30_000 },
      active: {
        intervalMs: 10_000,
        timeoutMs: 2_000,
        unhealthyThreshold: 3,
        healthyThreshold: 2,
        path: '/models',
      },
    },
    mock: { latencyMs: 0, chunkDelayMs: 0, failureRate: 0.5, failureStatus: 503, reply: 'r' },
    mcp: { transport: 'StreamableHTTP', url: 'https://tools.example.com/mcp', headers: { 'x-team': 'a' } },
    a2a: { cardPath: '/.well-known/agent-card.json', cardCacheTtlMs: 30_000, headers: { 'x-team': 'a' } },
  } satisfies CompiledRegistry,
  Consumer: {
    source,
    gateway: 'ns/gw',
    slug: 'c',
    apiKeyHashes: ['a'.repeat(64)],
    routes: [
      {
        model: '*',
        strategy: 'LatencyAware',
        targets: [
          {
            registry: 'ns/r',
            model: 'm',
            weight: 1,
            priority: 0,
            match: [
              { header: 'x-tier', values: ['gold'] },
              { field: 'metadata.tier', values: ['gold', 'silver'] },
            ],
          },
        ],
        unresolved: [{ registry: 'ns/typo', reason: 'RefNotFound' }],
      },
    ],
    retry: { attempts: 3, perTryTimeoutMs: 10_000, backoffMs: 25, retryOn: ['ConnectError', 'Timeout'] },
    mcp: {
      servers: [
        { registry: 'ns/weather', prefix: 'weather' },
        { registry: 'ns/files', prefix: 'files' },
      ],
      tools: { allow: ['weather_*'], deny: ['*_delete'] },
      prompts: { allow: ['*'], deny: ['files_*'] },
      resources: { allow: ['weather+*'], deny: ['weather+secret:*'] },
      exposeAs: { weather_get_forecast: 'forecast' },
      requireApproval: ['files_write'],
      onServerDown: 'FailClosed',
      oauth: { scopes: [{ scope: 'weather:read', tools: ['weather_get_*'] }] },
    },
    a2a: { agents: [{ name: 'helper', registry: 'ns/agent' }] },
    jwt: [
      {
        issuer: 'https://login.example.com',
        jwksUri: 'https://login.example.com/jwks',
        audiences: ['https://gw.example.com/c/mcp'],
        algorithms: ['RS256'],
      },
    ],
  } satisfies CompiledConsumer,
  Policy: {
    source,
    targets: [{ kind: 'Gateway', name: 'ns/gw' }],
    parallel: false,
    plugins: {
      rateLimit: {
        requests: 10,
        windowMs: 60_000,
        algorithm: 'TokenBucket',
        key: 'Header',
        header: 'x-user',
        failureMode: 'FailClosed',
      },
      tokenRateLimit: {
        tokens: 10_000,
        windowMs: 60_000,
        estimatePrompt: true,
        key: 'Header',
        header: 'x-user',
        failureMode: 'FailOpen',
      },
      budget: {
        amountMicroUSD: 25_000_000,
        period: 'Month',
        scope: 'APIKey',
        softLimit: { percent: 80, downgradeModel: 'small' },
        prices: [
          {
            model: 'big',
            inputMicroUSDPerMTok: 2_500_000,
            outputMicroUSDPerMTok: 10_000_000,
            cachedInputMicroUSDPerMTok: 1_250_000,
          },
        ],
      },
      requestSize: { maxBodyBytes: 1024, maxMessages: 8 },
      cors: {
        allowOrigins: ['https://app.example.com'],
        allowMethods: ['GET', 'POST'],
        allowHeaders: ['authorization'],
        exposeHeaders: ['x-request-id'],
        allowCredentials: true,
        maxAgeMs: 600_000,
      },
      promptGuard: {
        action: 'Mask',
        detectors: ['Email', 'CreditCard'],
        patterns: [{ name: 'ticket', regex: 'T-[0-9]+' }],
        applyTo: ['Request', 'Response'],
        webhook: { url: 'https://guard.example.com/check', timeoutMs: 2000, failureMode: 'FailClosed' },
      },
      semanticCache: {
        embeddingRegistry: 'ns/embedder',
        embeddingModel: 'text-embedding-3-small',
        threshold: 0.95,
        ttlMs: 3_600_000,
        scope: 'Gateway',
      },
      toolGuard: {
        mode: 'Enforce',
        pin: 'FirstSeen',
        pinned: [{ tool: 'fs_read_file', sha256: 'a'.repeat(64) }],
        detectHiddenInstructions: true,
        allowUrlHosts: ['*.example.com', 'docs.example.org'],
      },
    },
  } satisfies CompiledPolicy,
};
const resources = Object.entries(bodies).map(
  ([kind, body]) => ({ kind, name: 'ns/n', version: contentHash(body), body }) as AnyResource,
);

interface JsonSchema {
  properties?: Record<string, JsonSchema>;
  items?: JsonSchema;
  $ref?: string;
}
const schema = JSON.parse(readFileSync(schemaFile(), 'utf8')) as { definitions: Record<string, JsonSchema> };

function leaves(node: JsonSchema, at: string): string[] {
  if (
    node.$ref &&
    !node.$ref.endsWith('/ms') &&
    !node.$ref.endsWith('/name') &&
    !node.$ref.endsWith('/label')
  ) {
    return leaves(schema.definitions[node.$ref.split('/').pop() ?? ''] ?? {}, at);
  }
  if (node.properties && Object.keys(node.properties).length > 0) {
    return Object.entries(node.properties).flatMap(([k, c]) => leaves(c, `${at}.${k}`));
  }
  if (node.items) return leaves(node.items, `${at}[]`);
  return [at];
}
function valueLeaves(v: unknown, at: string): string[] {
  if (Array.isArray(v)) return v.flatMap((x) => valueLeaves(x, `${at}[]`));
  const maps = ['.aliases', '.headers', '.exposeAs'];
  if (v && typeof v === 'object' && Object.keys(v).length > 0 && !maps.some((m) => at.endsWith(m))) {
    return Object.entries(v).flatMap(([k, x]) => valueLeaves(x, `${at}.${k}`));
  }
  return [at];
}

describe('protocol schema', () => {
  it.each(resources.map((r) => [r.kind, r] as const))('accepts a full %s', (_k, r) => {
    expect(validateResource(r)).toEqual({ ok: true, resource: r });
  });

  it.each(Object.entries(bodies))('%s: every schema field is in the TypeScript type', (kind, body) => {
    const have = new Set(valueLeaves(body, kind));
    expect(leaves(schema.definitions[kind] ?? {}, kind).filter((p) => !have.has(p))).toEqual([]);
  });

  it.each([
    ['not an object', 'nope', 'must be object'],
    [
      'unknown kind',
      { ...resources[0], kind: 'Cluster' },
      '/kind: must be equal to one of the allowed values',
    ],
    ['bad version', { ...resources[0], version: 'v1' }, '/version: must match pattern'],
    [
      'extra body field',
      { ...resources[0], body: { ...bodies.Gateway, extra: 1 } },
      "must NOT have additional properties 'extra'",
    ],
    [
      'missing body field',
      { ...resources[2], body: { ...bodies.Consumer, routes: undefined } },
      "must have required property 'routes'",
    ],
    [
      'wrong body type',
      {
        ...resources[0],
        body: { ...bodies.Gateway, limits: { maxRequestBodyBytes: '10', requestTimeoutMs: 1 } },
      },
      'body/limits/maxRequestBodyBytes: must be integer',
    ],
    [
      'a policy without plugins',
      { ...resources[3], body: { ...bodies.Policy, plugins: {} } },
      'body/plugins: must NOT have fewer than 1 properties',
    ],
    [
      'a plugin the proxy does not know',
      { ...resources[3], body: { ...bodies.Policy, plugins: { waf: { mode: 'block' } } } },
      "must NOT have additional properties 'waf'",
    ],
    [
      'a budget amount that is not a whole number of micro-dollars',
      {
        ...resources[3],
        body: {
          ...bodies.Policy,
          plugins: { budget: { ...bodies.Policy.plugins.budget, amountMicroUSD: 2.5 } },
        },
      },
      'body/plugins/budget/amountMicroUSD: must be integer',
    ],
    [
      'a soft limit without its downgrade model',
      {
        ...resources[3],
        body: {
          ...bodies.Policy,
          plugins: { budget: { ...bodies.Policy.plugins.budget, softLimit: { percent: 80 } } },
        },
      },
      "body/plugins/budget/softLimit: must have required property 'downgradeModel'",
    ],
    [
      'a header-keyed rate limit without its header',
      {
        ...resources[3],
        body: {
          ...bodies.Policy,
          plugins: { rateLimit: { ...bodies.Policy.plugins.rateLimit, header: undefined } },
        },
      },
      "body/plugins/rateLimit: must have required property 'header'",
    ],
    [
      'a semantic cache threshold above 1',
      {
        ...resources[3],
        body: {
          ...bodies.Policy,
          plugins: { semanticCache: { ...bodies.Policy.plugins.semanticCache, threshold: 1.5 } },
        },
      },
      'body/plugins/semanticCache/threshold: must be <= 1',
    ],
    [
      'an origin with a path',
      {
        ...resources[3],
        body: {
          ...bodies.Policy,
          plugins: { cors: { ...bodies.Policy.plugins.cors, allowOrigins: ['https://a.example.com/x'] } },
        },
      },
      'body/plugins/cors/allowOrigins/0: must match pattern',
    ],
    [
      'a target condition on both a header and a body field',
      {
        ...resources[2],
        body: {
          ...bodies.Consumer,
          routes: [
            {
              model: '*',
              strategy: 'Weighted',
              targets: [
                {
                  registry: 'ns/r',
                  weight: 1,
                  priority: 0,
                  match: [{ header: 'x-tier', field: 'tier', values: ['gold'] }],
                },
              ],
            },
          ],
        },
      },
      'body/routes/0/targets/0/match/0: must match exactly one schema in oneOf',
    ],
    [
      'an MCP session key that is not 32 bytes',
      {
        ...resources[0],
        body: {
          ...bodies.Gateway,
          mcp: { ...bodies.Gateway.mcp, sessionKeys: [{ id: 'k', key: 'c2hvcnQ=' }] },
        },
      },
      'body/mcp/sessionKeys/0/key: must match pattern',
    ],
    [
      'a prompt guard with nothing to look for',
      {
        ...resources[3],
        body: {
          ...bodies.Policy,
          plugins: {
            promptGuard: { action: 'Reject', detectors: [], patterns: [], applyTo: ['Request'] },
          },
        },
      },
      'body/plugins/promptGuard: must match a schema in anyOf',
    ],
    [
      'a tool guard that declares no fingerprint',
      {
        ...resources[3],
        body: {
          ...bodies.Policy,
          plugins: { toolGuard: { ...bodies.Policy.plugins.toolGuard, pin: 'Declared', pinned: [] } },
        },
      },
      'body/plugins/toolGuard/pinned: must NOT have fewer than 1 items',
    ],
    [
      'a tool guard fingerprint in upper case',
      {
        ...resources[3],
        body: {
          ...bodies.Policy,
          plugins: {
            toolGuard: {
              ...bodies.Policy.plugins.toolGuard,
              pinned: [{ tool: 't', sha256: 'A'.repeat(64) }],
            },
          },
        },
      },
      'body/plugins/toolGuard/pinned/0/sha256: must match pattern',
    ],
  ])('rejects %s with a readable error', (_name, value, message) => {
    const r = validateResource(value);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.error).toContain(message);
  });
});
