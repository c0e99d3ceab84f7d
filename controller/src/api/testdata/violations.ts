import type { Kind } from '../v1alpha1';
import { everything } from './everything';

export type Mutable = Record<string, unknown>;
/** The everything-fixture of a kind with one change to its spec. */
export function withChange(kind: Kind, change: (spec: Mutable) => void): unknown {
  const copy = structuredClone(everything[kind]) as unknown as { spec: Mutable };
  change(copy.spec);
  return copy;
}
const obj = (v: unknown) => v as Mutable;
const list = (v: unknown) => v as Mutable[];

/**
 * One violation of every CEL rule in crds/: [kind, change to the everything-fixture, field path,
 * rule message]. The manifest tests check standalone validation against it and that it covers every
 * rule; a test against a real API server can use the same table for parity.
 */
export const ruleViolations: [Kind, (s: Mutable) => void, string, string][] = [
  [
    'Gateway',
    (s) => delete obj(list(obj(s.telemetry).exporters)[0]).kafka,
    'spec.telemetry.exporters[0]',
    'set exactly the block named by type (kafka or otlp)',
  ],
  [
    'Gateway',
    (s) => (obj(list(obj(s.telemetry).exporters)[0]).otlp = { endpoint: 'http://x' }),
    'spec.telemetry.exporters[0]',
    'set exactly the block named by type (kafka or otlp)',
  ],
  [
    'Gateway',
    (s) => (obj(list(obj(s.telemetry).exporters)[1]).otlp = { endpoint: 'grpc://otel:4317' }),
    'spec.telemetry.exporters[1].otlp.endpoint',
    'must be an http or https URL',
  ],
  [
    'Gateway',
    (s) => list(obj(s.mcp).sessionKeys).push({ id: 'k1', secretRef: { name: 'b', key: 'b' } }),
    'spec.mcp.sessionKeys',
    'key ids must be unique',
  ],
  [
    'Registry',
    (s) => {
      s.provider = 'mcp';
      delete s.mock;
      delete s.mcp;
    },
    'spec',
    'mcp settings are required for provider mcp',
  ],
  [
    'Registry',
    (s) => {
      s.provider = 'a2a';
      delete s.mock;
      delete s.baseUrl;
    },
    'spec',
    "baseUrl (the agent's base URL) is required for provider a2a",
  ],
  [
    'Registry',
    (s) => delete obj(s.mcp).command,
    'spec.mcp',
    'Stdio needs command; StreamableHTTP and SSE need url',
  ],
  [
    'Registry',
    (s) => {
      obj(s.mcp).transport = 'StreamableHTTP';
      delete obj(s.mcp).url;
    },
    'spec.mcp',
    'Stdio needs command; StreamableHTTP and SSE need url',
  ],
  [
    'Registry',
    (s) => (obj(list(obj(s.mcp).headers)[0]).secretRef = { name: 'x', key: 'token' }),
    'spec.mcp.headers[0]',
    'set exactly one of value or secretRef',
  ],
  [
    'Registry',
    (s) => delete obj(list(obj(s.mcp).env)[0]).value,
    'spec.mcp.env[0]',
    'set exactly one of value or secretRef',
  ],
  [
    'Consumer',
    (s) => {
      delete s.routes;
      delete s.mcp;
    },
    'spec',
    'routes or mcp (or both) are required',
  ],
  [
    'Consumer',
    (s) => delete obj(list(obj(s.mcp).servers)[1]).prefix,
    'spec.mcp.servers',
    'a prefix is required for every server when there is more than one',
  ],
  [
    'Consumer',
    (s) => (obj(list(obj(s.mcp).servers)[1]).prefix = 'weather'),
    'spec.mcp.servers',
    'prefixes must be unique',
  ],
  [
    'Registry',
    (s) => {
      s.provider = 'openai-compatible';
      delete s.baseUrl;
      delete s.mock;
    },
    'spec',
    'baseUrl is required for provider openai-compatible',
  ],
  [
    'Registry',
    (s) => (s.provider = 'openai-compatible'),
    'spec',
    'mock settings are only allowed when provider is mock',
  ],
  [
    'Registry',
    (s) => {
      s.provider = 'anthropic';
      delete s.credentials;
      delete s.mock;
    },
    'spec',
    'credentials are required for this provider',
  ],
  [
    'Registry',
    (s) => {
      s.provider = 'azure-openai';
      delete s.baseUrl;
      delete s.mock;
    },
    'spec',
    'baseUrl (https://{resource}.openai.azure.com) is required for provider azure-openai',
  ],
  [
    'Registry',
    (s) => {
      s.provider = 'bedrock';
      delete s.bedrock;
      delete s.mock;
    },
    'spec',
    'bedrock settings are required for provider bedrock',
  ],
  [
    'Registry',
    (s) => {
      s.provider = 'bedrock';
      delete s.credentials;
      delete obj(s.bedrock).accessKeys;
      delete s.mock;
    },
    'spec',
    'bedrock needs credentials (a Bedrock API key) or bedrock.accessKeys',
  ],
  [
    'Registry',
    (s) => {
      s.provider = 'vertex';
      delete s.vertex;
      delete s.mock;
    },
    'spec',
    'vertex settings are required for provider vertex',
  ],
  [
    'Registry',
    (s) => {
      s.provider = 'vertex';
      delete s.mock;
      delete obj(obj(s.healthCheck).active).path;
    },
    'spec',
    'healthCheck.active.path is required for providers bedrock and vertex (they have no default probe path)',
  ],
  [
    'Registry',
    (s) => {
      s.provider = 'a2a';
      delete s.baseUrl;
      delete s.mock;
    },
    'spec',
    "baseUrl (the agent's base URL) is required for provider a2a",
  ],
  [
    'Registry',
    (s) => (list(obj(s.a2a).headers)[0] = { name: 'X-Team' }),
    'spec.a2a.headers[0]',
    'set exactly one of value or secretRef',
  ],
  [
    'Registry',
    (s) => (s.baseUrl = 'ftp://files.example.com'),
    'spec.baseUrl',
    'must be an http or https URL',
  ],
  [
    'Consumer',
    (s) => (s.credentials = { apiKeys: [], jwt: [] }),
    'spec.credentials',
    'at least one apiKey or jwt issuer is required',
  ],
  [
    'Consumer',
    (s) => (s.credentials = { apiKeys: obj(s.credentials).apiKeys }),
    'spec',
    'mcp.oauth needs at least one credentials.jwt issuer',
  ],
  [
    'Consumer',
    (s) => (obj(list(obj(s.credentials).jwt)[0]).issuer = 'issuer.example.com'),
    'spec.credentials.jwt[0].issuer',
    'must be an http or https URL',
  ],
  [
    'Consumer',
    (s) => (obj(list(obj(s.credentials).jwt)[0]).jwksUri = 'file:///etc/jwks.json'),
    'spec.credentials.jwt[0].jwksUri',
    'must be an http or https URL',
  ],
  [
    'Consumer',
    (s) => (obj(list(s.routes)[0]).targets = [{ registryRef: { name: 'a' }, weight: 0 }]),
    'spec.routes[0].targets',
    'weights must add up to more than 0',
  ],
  [
    'Consumer',
    (s) => (obj(list(s.routes)[0]).model = '@openai/gpt-4o'),
    'spec.routes[0].model',
    "model names starting with '@' or 'pool:' are reserved",
  ],
  [
    'Consumer',
    (s) => (list(obj(list(obj(list(s.routes)[0]).targets)[0]).match)[0] = { values: ['gold'] }),
    'spec.routes[0].targets[0].match[0]',
    'set exactly one of header or field',
  ],
  [
    'Consumer',
    (s) => (s.retry = { perTryTimeout: '0.0s' }),
    'spec.retry',
    'perTryTimeout must be more than 0',
  ],
  ['Policy', (s) => (s.plugins = {}), 'spec.plugins', 'at least one plugin is required'],
  [
    'Policy',
    (s) => delete obj(obj(s.plugins).rateLimit).header,
    'spec.plugins.rateLimit',
    'header is required when key is Header',
  ],
  [
    'Policy',
    (s) => delete obj(obj(s.plugins).tokenRateLimit).header,
    'spec.plugins.tokenRateLimit',
    'header is required when key is Header',
  ],
  [
    'Policy',
    (s) => delete obj(obj(s.plugins).budget).downgradeModel,
    'spec.plugins.budget',
    'downgradeModel is required with softLimitPercent',
  ],
  [
    'Policy',
    (s) => (obj(obj(obj(s.plugins).promptGuard).webhook).url = 'guard.internal'),
    'spec.plugins.promptGuard.webhook.url',
    'must be an http or https URL',
  ],
  [
    'Policy',
    (s) => delete obj(obj(s.plugins).toolGuard).pinned,
    'spec.plugins.toolGuard',
    'pinned must list at least one tool when pin is Declared',
  ],
];

