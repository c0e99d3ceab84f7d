import { REDACTED, redactResource, registrySecrets } from './redact';
import type { CompiledRegistry, Resource } from './types';

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
