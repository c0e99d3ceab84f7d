import { API_KEY_SCHEME, BEARER_SCHEME, gatewayUrlOf, rewriteCard } from './card';

const GW = 'https://gw.example.com/app/a2a/planner';

const v1Card = {
  name: 'Planner',
  supportedInterfaces: [
    { url: 'http://planner:41241', protocolBinding: 'JSONRPC', protocolVersion: '1.0', tenant: 't' },
    { url: 'http://planner:41241/rest', protocolBinding: 'HTTP+JSON', protocolVersion: '1.0' },
    { url: 'grpc://planner:50051', protocolBinding: 'GRPC', protocolVersion: '1.0' },
  ],
  securitySchemes: { agentToken: { httpAuthSecurityScheme: { scheme: 'Bearer' } } },
  securityRequirements: [{ schemes: { agentToken: { list: [] } } }],
  skills: [{ id: 's', name: 'S', securityRequirements: [{ schemes: { agentToken: { list: [] } } }] }],
  signatures: [{ protected: 'x', signature: 'y' }],
};

const v03Card = {
  name: 'Planner',
  protocolVersion: '0.3.0',
  url: 'http://planner:41241',
  preferredTransport: 'JSONRPC',
  additionalInterfaces: [
    { url: 'http://planner:41241', transport: 'JSONRPC' },
    { url: 'grpc://planner:50051', transport: 'GRPC' },
  ],
  securitySchemes: { agentToken: { type: 'http', scheme: 'bearer' } },
  security: [{ agentToken: [] }],
  skills: [{ id: 's', name: 'S', security: [{ agentToken: [] }] }],
};

describe('rewriteCard', () => {
  it('v1.0: JSON-RPC interfaces point at the gateway, others go, security is the gateway’s', () => {
    const out = rewriteCard(v1Card, GW);
    expect(out.ok).toBe(true);
    const card = out.ok ? out.card : {};
    expect(card.supportedInterfaces).toEqual([
      { url: GW, protocolBinding: 'JSONRPC', protocolVersion: '1.0', tenant: 't' },
    ]);
    expect(card.securitySchemes).toEqual({
      [BEARER_SCHEME]: { httpAuthSecurityScheme: expect.objectContaining({ scheme: 'Bearer' }) },
      [API_KEY_SCHEME]: {
        apiKeySecurityScheme: expect.objectContaining({ location: 'header', name: 'x-api-key' }),
      },
    });
    expect(card.securityRequirements).toEqual([
      { schemes: { [BEARER_SCHEME]: { list: [] } } },
      { schemes: { [API_KEY_SCHEME]: { list: [] } } },
    ]);
    expect(card.skills).toEqual([{ id: 's', name: 'S' }]);
    expect(card).not.toHaveProperty('signatures');
    expect(JSON.stringify(card)).not.toContain('planner:');
  });

  it('v0.3: url, preferredTransport and additionalInterfaces point at the gateway, OpenAPI-style security', () => {
    const out = rewriteCard(v03Card, GW);
    expect(out.ok).toBe(true);
    const card = out.ok ? out.card : {};
    expect(card.url).toBe(GW);
    expect(card.preferredTransport).toBe('JSONRPC');
    expect(card.additionalInterfaces).toEqual([{ url: GW, transport: 'JSONRPC' }]);
    expect(card.securitySchemes).toEqual({
      [BEARER_SCHEME]: expect.objectContaining({ type: 'http', scheme: 'bearer' }),
      [API_KEY_SCHEME]: expect.objectContaining({ type: 'apiKey', in: 'header', name: 'x-api-key' }),
    });
    expect(card.security).toEqual([{ [BEARER_SCHEME]: [] }, { [API_KEY_SCHEME]: [] }]);
    expect(card.skills).toEqual([{ id: 's', name: 'S' }]);
    expect(JSON.stringify(card)).not.toContain('planner:');
  });

  it.each([
    ['not an object', 'card', 'the agent card is not a JSON object'],
    ['an array', [v1Card], 'the agent card is not a JSON object'],
    [
      'a v1.0 card without JSON-RPC',
      { ...v1Card, supportedInterfaces: [{ url: 'grpc://x', protocolBinding: 'GRPC' }] },
      'the agent offers no JSON-RPC interface',
    ],
    [
      'a v0.3 card on gRPC only',
      {
        ...v03Card,
        preferredTransport: 'GRPC',
        additionalInterfaces: [{ url: 'grpc://x', transport: 'GRPC' }],
      },
      'the agent offers no JSON-RPC interface',
    ],
  ])('refuses %s', (_what, card, reason) => {
    expect(rewriteCard(card, GW)).toEqual({ ok: false, reason });
  });
});

describe('gatewayUrlOf', () => {
  const headers =
    (h: Record<string, string>) =>
    (name: string): string | undefined =>
      h[name];

  it.each([
    [{ host: 'gw.local:8081' }, 'http://gw.local:8081/app/a2a/planner'],
    [{ host: '[::1]:8081' }, 'http://[::1]:8081/app/a2a/planner'],
    [
      {
        host: 'internal:8081',
        'x-forwarded-proto': 'https, http',
        'x-forwarded-host': 'gw.example.com, internal',
      },
      'https://gw.example.com/app/a2a/planner',
    ],
    [{ host: 'gw.local', 'x-forwarded-host': 'evil.com/"><script>' }, 'http://gw.local/app/a2a/planner'],
    [{ host: 'gw.local', 'x-forwarded-proto': 'javascript' }, 'http://gw.local/app/a2a/planner'],
    [{}, 'http://from-url:9/app/a2a/planner'],
  ])('%j → %s', (h, url) => {
    expect(gatewayUrlOf(headers(h), 'from-url:9', 'app', 'planner')).toBe(url);
  });
});
