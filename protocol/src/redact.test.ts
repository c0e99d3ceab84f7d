import { redactResource } from './redact';
import type { AnyResource, CompiledGateway, CompiledRegistry } from './types';

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
