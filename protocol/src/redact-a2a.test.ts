import { redactResource } from './redact';
import type { Resource } from './types';

const source = { namespace: 'ns', name: 'agent', generation: 1 };
const agent: Resource<'Registry'> = {
  kind: 'Registry',
  name: 'ns/agent',
  version: '0123456789abcdef',
  body: {
    source,
    provider: 'a2a',
    baseUrl: 'http://agent:41241',
    apiKey: 'agent-token',
    models: [],
    aliases: {},
    timeouts: { connectMs: 1, requestMs: 2, idleMs: 3 },
    a2a: {
      cardPath: '/.well-known/agent-card.json',
      cardCacheTtlMs: 30_000,
      headers: { 'x-key': 'from-a-secret' },
    },
  },
};

describe('redactResource', () => {
  it("hides an A2A agent's credential and header values, keeping their names", () => {
    const shown = JSON.stringify(redactResource(agent));
    expect(shown).not.toContain('agent-token');
    expect(shown).not.toContain('from-a-secret');
    expect(redactResource(agent)).toMatchObject({
      body: {
        apiKey: '[redacted]',
        a2a: { cardPath: '/.well-known/agent-card.json', headers: { 'x-key': '[redacted]' } },
      },
    });
  });
});
