import { REDACTED, redactResource, registrySecrets } from './redact';
import type { AnyResource, CompiledGateway, CompiledRegistry, Resource } from './types';

const registry = (body: Partial<CompiledRegistry>): Resource<'Registry'> => ({
  kind: 'Registry',
  name: 'default/r',
  version: 'v1',
  body: {
    source: { namespace: 'default', name: 'r', generation: 1 },
    provider: 'bedrock',
    baseUrl: 'https://bedrock-runtime.us-east-1.amazonaws.com',
    models: [],
    aliases: {},
    timeouts: { connectMs: 1, requestMs: 1, idleMs: 1 },
    ...body,
  },
});

describe('the secret fields of a compiled Registry', () => {
  const aws = {
    region: 'us-east-1',
    accessKeyId: 'AKIDEXAMPLE',
    secretAccessKey: 'wJal/secret',
    sessionToken: 'tok-123',
  };

  it('are listed for scrubbing: the API key and every AWS key', () => {
    expect(registrySecrets(registry({ apiKey: 'sk-1' }).body)).toEqual(['sk-1']);
    expect(registrySecrets(registry({ bedrock: aws }).body)).toEqual([
      'AKIDEXAMPLE',
      'wJal/secret',
      'tok-123',
    ]);
    expect(registrySecrets(registry({}).body)).toEqual([]);
  });

  it('are redacted where config is shown: the AWS secret key and session token too', () => {
    const shown = JSON.stringify(redactResource(registry({ bedrock: aws })));
    expect(shown).not.toContain('wJal/secret');
    expect(shown).not.toContain('tok-123');
    expect(redactResource(registry({ bedrock: aws }))).toMatchObject({
      body: {
        bedrock: {
          region: 'us-east-1',
          accessKeyId: 'AKIDEXAMPLE',
          secretAccessKey: REDACTED,
          sessionToken: REDACTED,
        },
      },
    });
    expect(redactResource(registry({ apiKey: 'sk-1' }))).toMatchObject({ body: { apiKey: REDACTED } });
  });
});

const source = { namespace: 'ns', name: 'n', generation: 1 };

describe('redactResource', () => {
  it('hides MCP session keys but keeps their ids', () => {
    const body: CompiledGateway = {
      source,
      slug: 'g',
      hostnames: [],
      discovery: 'HeaderThenHost',
      fleet: 'default',
      limits: { maxRequestBodyBytes: 1, requestTimeoutMs: 1 },
      mcp: { sessionKeys: [{ id: 'k1', key: 'SECRET' }], sessionTtlMs: 1, idleTimeoutMs: 1 },
    };
    const shown = JSON.stringify(redactResource({ kind: 'Gateway', name: 'ns/g', version: 'v', body }));
    expect(shown).not.toContain('SECRET');
    expect(shown).toContain('"id":"k1"');
  });

  it("hides an MCP server's header values and credential", () => {
    const body: CompiledRegistry = {
      source,
      provider: 'mcp',
      baseUrl: '',
      apiKey: 'TOKEN',
      models: [],
      aliases: {},
      timeouts: { connectMs: 1, requestMs: 1, idleMs: 1 },
      mcp: { transport: 'StreamableHTTP', url: 'https://t.example.com/mcp', headers: { 'x-key': 'HEADER' } },
    };
    const r: AnyResource = { kind: 'Registry', name: 'ns/t', version: 'v', body };
    const shown = JSON.stringify(redactResource(r));
    expect(shown).not.toContain('TOKEN');
    expect(shown).not.toContain('HEADER');
    expect(shown).toContain('"x-key":"[redacted]"');
  });
});

describe('the approval webhook signing key of a compiled Gateway', () => {
  it('is redacted wherever config is shown; the URL and timeout stay', () => {
    const gateway: Resource<'Gateway'> = {
      kind: 'Gateway',
      name: 'default/gw',
      version: 'v1',
      body: {
        source: { namespace: 'default', name: 'gw', generation: 1 },
        slug: 'gw',
        hostnames: [],
        discovery: 'HeaderThenHost',
        fleet: 'default',
        limits: { maxRequestBodyBytes: 1, requestTimeoutMs: 1 },
        approvals: {
          timeoutMs: 60_000,
          webhook: { url: 'https://hooks.example.com/a', signingKey: 'hmac-key-1' },
        },
      },
    };
    const shown = JSON.stringify(redactResource(gateway));
    expect(shown).not.toContain('hmac-key-1');
    expect(redactResource(gateway)).toMatchObject({
      body: {
        approvals: {
          timeoutMs: 60_000,
          webhook: { url: 'https://hooks.example.com/a', signingKey: REDACTED },
        },
      },
    });
    const plain = { ...gateway, body: { ...gateway.body, approvals: { timeoutMs: 1000 } } };
    expect(redactResource(plain)).toBe(plain);
  });
});
