import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import {
  discoverOAuthServerInfo,
  extractWWWAuthenticateParams,
  type OAuthClientProvider,
} from '@modelcontextprotocol/sdk/client/auth.js';
import { LATEST_PROTOCOL_VERSION } from '@modelcontextprotocol/sdk/types.js';
import { base64url } from 'jose';
import { startWeatherServer, type TestMcpServer } from '@tollgate/dataplane/testing/mcp-servers';
import { startTestIssuer, type TestIssuer } from '@tollgate/dataplane/testing/oauth-issuer';
import { closeClients, connectMcp, initializeRequest, mcpGatewayYaml, mcpRegistryYaml } from './mcp-harness';
import { standaloneOn, type InProcessTollgate } from './standalone';

/**
 * OAuth 2.1 resource-server mode of /{consumer}/mcp end to end: a real local issuer (RFC 8414
 * metadata + JWKS), Tollgate standalone in front of a real SDK server, the official SDK client
 * (its OAuth discovery helpers, and an auth provider holding the access token).
 */
jest.setTimeout(30_000);

let idp: TestIssuer;
let stranger: TestIssuer;
let weather: TestMcpServer;
let gw: InProcessTollgate;
const clients: Client[] = [];

function manifests(): string {
  return `${mcpGatewayYaml('mcp-oauth-e2e-session-key-0123456789abcdef', 'key: key-secure, plain: key-plain')}${mcpRegistryYaml('weather', weather.url)}---
apiVersion: tollgate.dev/v1alpha1
kind: Consumer
metadata: {name: secure}
spec:
  gatewayRef: {name: agents}
  slug: secure
  credentials:
    apiKeys: [{secretRef: {name: mcp, key: key}}]
    jwt: [{issuer: "${idp.issuer}"}]
  mcp:
    servers: [{registryRef: {name: weather}, prefix: weather}]
    tools: {deny: ["weather_delete_*"]}
    oauth:
      scopes: [{scope: "weather:read", tools: ["weather_get_*"]}]
---
apiVersion: tollgate.dev/v1alpha1
kind: Consumer
metadata: {name: plain}
spec:
  gatewayRef: {name: agents}
  slug: plain
  credentials: {apiKeys: [{secretRef: {name: mcp, key: plain}}]}
  mcp:
    servers: [{registryRef: {name: weather}}]
`;
}

beforeAll(async () => {
  [idp, stranger, weather] = await Promise.all([startTestIssuer(), startTestIssuer(), startWeatherServer()]);
  gw = await standaloneOn(manifests());
});

afterAll(async () => {
  await closeClients(clients);
  await gw?.stop();
  await Promise.all([idp?.close(), stranger?.close(), weather?.close()]);
});

const GATEWAY = { 'x-ag-gateway-slug': 'agents' };
const resource = () => `${gw.base}/secure/mcp`;
const metadataUrl = () => `${gw.base}/.well-known/oauth-protected-resource/secure/mcp`;

/** A provider that already holds an access token (the authorization flow happened elsewhere). */
function holding(accessToken: string): OAuthClientProvider {
  return {
    redirectUrl: 'http://127.0.0.1/callback',
    clientMetadata: { redirect_uris: ['http://127.0.0.1/callback'], client_name: 'e2e' },
    clientInformation: () => ({ client_id: 'e2e' }),
    tokens: () => ({ access_token: accessToken, token_type: 'Bearer' }),
    saveTokens: () => undefined,
    redirectToAuthorization: () => {
      throw new Error('no interactive authorization in this test');
    },
    saveCodeVerifier: () => undefined,
    codeVerifier: () => 'unused',
  };
}

async function connect(headers: Record<string, string>, authProvider?: OAuthClientProvider) {
  return connectMcp(clients, resource(), {
    headers: { ...GATEWAY, ...headers },
    name: 'oauth-e2e',
    transport: authProvider ? { authProvider } : {},
  });
}

function post(body: unknown, headers: Record<string, string> = {}, slug = 'secure') {
  return fetch(`${gw.base}/${slug}/mcp`, {
    method: 'POST',
    headers: {
      ...GATEWAY,
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      'mcp-protocol-version': LATEST_PROTOCOL_VERSION,
      ...headers,
    },
    body: JSON.stringify(body),
  });
}

const INIT = initializeRequest('raw');
const nowSec = () => Math.floor(Date.now() / 1000);

describe('protected resource metadata (RFC 9728)', () => {
  it('is served at the path-inserted well-known URL and read by the SDK discovery', async () => {
    const res = await fetch(metadataUrl(), { headers: GATEWAY });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      resource: resource(),
      authorization_servers: [idp.issuer],
      scopes_supported: ['mcp:tools', 'weather:read'],
      bearer_methods_supported: ['header'],
      resource_name: 'agents/secure MCP',
    });
    // The SDK client's own discovery: resource metadata, then the issuer's metadata.
    const info = await discoverOAuthServerInfo(resource(), {
      fetchFn: (url, init) => fetch(url, { ...init, headers: { ...GATEWAY } }),
    });
    expect(info.authorizationServerUrl).toBe(idp.issuer);
    expect(info.resourceMetadata?.resource).toBe(resource());
    expect(info.authorizationServerMetadata?.token_endpoint).toBe(`${idp.issuer}/token`);
  });

  it('is served path-less when one consumer of the gateway is protected; 404 for others', async () => {
    const bare = await fetch(`${gw.base}/.well-known/oauth-protected-resource`, { headers: GATEWAY });
    expect(bare.status).toBe(200);
    expect(((await bare.json()) as { resource: string }).resource).toBe(resource());
    const plain = await fetch(`${gw.base}/.well-known/oauth-protected-resource/plain/mcp`, {
      headers: GATEWAY,
    });
    expect(plain.status).toBe(404);
    expect(await plain.json()).toMatchObject({ error: 'not_found' });
    const unknown = await fetch(`${gw.base}/.well-known/oauth-protected-resource/nobody/mcp`, {
      headers: GATEWAY,
    });
    expect(unknown.status).toBe(404);
  });
});

describe('/{consumer}/mcp as a resource server', () => {
  it('answers a request without credentials with 401 and the challenge pointing at the metadata', async () => {
    const before = weather.initializes;
    const res = await post(INIT);
    expect(res.status).toBe(401);
    const challenge = res.headers.get('www-authenticate') ?? '';
    expect(challenge).toBe(`Bearer scope="mcp:tools weather:read", resource_metadata="${metadataUrl()}"`);
    // As the SDK client reads it.
    const params = extractWWWAuthenticateParams(res);
    expect(params.resourceMetadataUrl?.href).toBe(metadataUrl());
    expect(params.scope).toBe('mcp:tools weather:read');
    expect(weather.initializes).toBe(before);
  });

  it('answers an unknown opaque credential with an invalid_token challenge, a foreign key with 403', async () => {
    const res = await post(INIT, { authorization: 'Bearer not-a-key' });
    expect(res.status).toBe(401);
    expect(extractWWWAuthenticateParams(res).error).toBe('invalid_token');
    const foreign = await post(INIT, { 'x-ag-api-key': 'key-plain' });
    expect(foreign.status).toBe(403);
    expect(foreign.headers.get('www-authenticate')).toBeNull();
  });

  it('leaves consumers without issuers as they were (no challenge)', async () => {
    const res = await post(INIT, {}, 'plain');
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBeNull();
  });

  it("serves the SDK client with an auth provider; the token's scopes limit the tools", async () => {
    const token = await idp.sign({ aud: resource(), sub: 'alice', scope: 'weather:read' });
    const { client } = await connect({}, holding(token));
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name)).toEqual(['weather_get_forecast']);
    const result = await client.callTool({ name: 'weather_get_forecast', arguments: { city: 'Oslo' } });
    expect(result.content).toEqual([{ type: 'text', text: 'Sunny in Oslo' }]);
  });

  it('refuses a tool outside the scopes with 403 insufficient_scope and 0 upstream hits', async () => {
    const token = await idp.sign({ aud: resource(), scope: 'weather:read' });
    const { transport } = await connect({ authorization: `Bearer ${token}` });
    const before = weather.hits.get('sleep') ?? 0;
    const res = await post(
      {
        jsonrpc: '2.0',
        id: 7,
        method: 'tools/call',
        params: { name: 'weather_sleep', arguments: { ms: 1 } },
      },
      { authorization: `Bearer ${token}`, 'mcp-session-id': transport.sessionId ?? '' },
    );
    expect(res.status).toBe(403);
    const params = extractWWWAuthenticateParams(res);
    expect(params.error).toBe('insufficient_scope');
    expect(params.scope).toBe('weather:read mcp:tools:weather_sleep');
    expect(params.resourceMetadataUrl?.href).toBe(metadataUrl());
    expect(((await res.json()) as { error: { message: string } }).error.message).toContain('weather_sleep');
    expect(weather.hits.get('sleep') ?? 0).toBe(before);
  });

  it('keeps hidden tools hidden whatever the scopes (mcp:tools grants what the consumer may use)', async () => {
    const token = await idp.sign({ aud: resource(), scope: 'mcp:tools' });
    const { client, transport } = await connect({ authorization: `Bearer ${token}` });
    const names = (await client.listTools()).tools.map((t) => t.name);
    expect(names).toContain('weather_sleep');
    expect(names).not.toContain('weather_delete_city');
    const res = await post(
      { jsonrpc: '2.0', id: 8, method: 'tools/call', params: { name: 'weather_delete_city', arguments: {} } },
      { authorization: `Bearer ${token}`, 'mcp-session-id': transport.sessionId ?? '' },
    );
    expect(res.status).toBe(200);
    expect(((await res.json()) as { error: { message: string } }).error.message).toBe(
      'Unknown tool: weather_delete_city',
    );
    expect(weather.hits.get('delete_city') ?? 0).toBe(0);
  });

  it('grants one tool by mcp:tools:{name}', async () => {
    const token = await idp.sign({ aud: resource(), scope: 'mcp:tools:weather_count_slowly' });
    const { client } = await connect({ authorization: `Bearer ${token}` });
    expect((await client.listTools()).tools.map((t) => t.name)).toEqual(['weather_count_slowly']);
  });

  it('keeps API keys working, unlimited by scopes', async () => {
    const { client } = await connect({ 'x-ag-api-key': 'key-secure' });
    const names = (await client.listTools()).tools.map((t) => t.name);
    expect(names).toEqual(expect.arrayContaining(['weather_get_forecast', 'weather_sleep']));
  });

  const unsigned = () => {
    const enc = (o: unknown) => base64url.encode(JSON.stringify(o));
    return `${enc({ alg: 'none' })}.${enc({ iss: idp.issuer, aud: resource(), scope: 'mcp:tools', exp: nowSec() + 60 })}.`;
  };
  const refused: [string, () => Promise<string>, string][] = [
    ['wrong audience', () => idp.sign({ aud: `${gw.base}/plain/mcp`, scope: 'mcp:tools' }), 'audience'],
    ['wrong issuer', () => stranger.sign({ aud: resource(), scope: 'mcp:tools' }), 'trusted issuer'],
    ['expired', () => idp.sign({ aud: resource(), exp: nowSec() - 300 }), 'expired'],
    ['alg none', async () => unsigned(), 'alg none'],
    [
      'tampered signature',
      async () => {
        const t = await idp.sign({ aud: resource(), scope: 'mcp:tools' });
        return `${t.slice(0, -2)}${t.at(-2) === 'A' ? 'B' : 'A'}${t.slice(-1)}`;
      },
      'signature',
    ],
  ];

  it.each(refused)('refuses a token with %s: 401 invalid_token, nothing upstream', async (_n, make, why) => {
    const before = weather.initializes;
    const res = await post(INIT, { authorization: `Bearer ${await make()}` });
    expect(res.status).toBe(401);
    const params = extractWWWAuthenticateParams(res);
    expect(params.error).toBe('invalid_token');
    expect(params.resourceMetadataUrl?.href).toBe(metadataUrl());
    expect(res.headers.get('www-authenticate')).toContain(why);
    expect(weather.initializes).toBe(before);
  });
});
