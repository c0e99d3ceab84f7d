import { generateKeyPairSync } from 'node:crypto';
import { startMockTokenEndpoint, type MockTokenEndpoint } from '../../testing/mock-gemini-upstream';
import { CLOUD_PLATFORM_SCOPE, createServiceAccountTokenSource, parseServiceAccountKey } from './token';

const { privateKey, publicKey } = generateKeyPairSync('rsa', {
  modulusLength: 2048,
  privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  publicKeyEncoding: { type: 'spki', format: 'pem' },
});

const EMAIL = 'tollgate@test-project.iam.gserviceaccount.com';

function keyJson(tokenUri: string, over: Record<string, unknown> = {}): string {
  return JSON.stringify({
    type: 'service_account',
    project_id: 'test-project',
    private_key_id: 'a1b2c3d4e5',
    private_key: privateKey,
    client_email: EMAIL,
    client_id: '109876543210987654321',
    auth_uri: 'https://accounts.google.com/o/oauth2/auth',
    token_uri: tokenUri,
    ...over,
  });
}

describe('service-account token source', () => {
  let endpoint: MockTokenEndpoint;
  let clock = Date.UTC(2025, 0, 1, 12, 0, 0);
  const now = () => clock;

  beforeEach(async () => {
    clock = Date.UTC(2025, 0, 1, 12, 0, 0);
    endpoint = await startMockTokenEndpoint(publicKey, {
      accessToken: (n) => `ya29.token-${n}`,
      expiresIn: 3600,
      now,
    });
  });
  afterEach(() => endpoint.close());

  it('exchanges a signed JWT with the documented claims', async () => {
    const source = createServiceAccountTokenSource(keyJson(endpoint.url), { now });
    await expect(source.token()).resolves.toBe('ya29.token-1');
    expect(endpoint.calls).toHaveLength(1);
    const [call] = endpoint.calls;
    expect(call?.grantType).toBe('urn:ietf:params:oauth:grant-type:jwt-bearer');
    expect(call?.header).toEqual({ alg: 'RS256', typ: 'JWT', kid: 'a1b2c3d4e5' });
    expect(call?.claims).toEqual({
      iss: EMAIL,
      scope: CLOUD_PLATFORM_SCOPE,
      aud: endpoint.url,
      iat: clock / 1000,
      exp: clock / 1000 + 3600,
    });
  });

  it('caches the token until five minutes before it expires', async () => {
    const source = createServiceAccountTokenSource(keyJson(endpoint.url), { now });
    await expect(source.token()).resolves.toBe('ya29.token-1');
    clock += 54 * 60_000; // 54 min: still fresh
    await expect(source.token()).resolves.toBe('ya29.token-1');
    expect(endpoint.calls).toHaveLength(1);
    clock += 2 * 60_000; // 56 min: inside the 5-minute margin
    await expect(source.token()).resolves.toBe('ya29.token-2');
    expect(endpoint.calls).toHaveLength(2);
    expect(endpoint.calls[1]?.claims.iat).toBe(clock / 1000);
  });

  it('single-flights concurrent refreshes', async () => {
    const source = createServiceAccountTokenSource(keyJson(endpoint.url), { now });
    const tokens = await Promise.all([source.token(), source.token(), source.token(), source.token()]);
    expect(tokens).toEqual(['ya29.token-1', 'ya29.token-1', 'ya29.token-1', 'ya29.token-1']);
    expect(endpoint.calls).toHaveLength(1);
  });

  it("reports the endpoint's error without the key, then recovers", async () => {
    endpoint.behave({
      kind: 'fail',
      status: 400,
      error: 'invalid_grant',
      description: 'Invalid JWT Signature.',
    });
    const source = createServiceAccountTokenSource(keyJson(endpoint.url), { now });
    const err = await source.token().catch((e: unknown) => e as Error);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toBe(
      'Google token endpoint answered 400 (invalid_grant: Invalid JWT Signature.)',
    );
    expect((err as Error).message).not.toContain('PRIVATE KEY');
    endpoint.behave({ kind: 'ok' });
    await expect(source.token()).resolves.toBe('ya29.token-2');
  });

  it('is rejected by the endpoint when signed with another key', async () => {
    const other = generateKeyPairSync('rsa', {
      modulusLength: 2048,
      privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
      publicKeyEncoding: { type: 'spki', format: 'pem' },
    });
    const source = createServiceAccountTokenSource(keyJson(endpoint.url, { private_key: other.privateKey }), {
      now,
    });
    await expect(source.token()).rejects.toThrow('answered 400 (invalid_grant: Invalid JWT Signature.)');
    expect(endpoint.calls).toHaveLength(0);
  });

  it('reports an unreachable endpoint', async () => {
    const source = createServiceAccountTokenSource(keyJson('http://127.0.0.1:1/token'), { now });
    await expect(source.token()).rejects.toThrow('unreachable');
  });

  it('uses an injected fetch', async () => {
    const seen: string[] = [];
    const source = createServiceAccountTokenSource(keyJson('https://oauth2.googleapis.com/token'), {
      now,
      fetch: async (url, init) => {
        seen.push(`${init.method} ${url} ${init.headers['content-type']}`);
        return {
          status: 200,
          text: '{"access_token":"ya29.injected","expires_in":3599,"token_type":"Bearer"}',
        };
      },
    });
    await expect(source.token()).resolves.toBe('ya29.injected');
    expect(seen).toEqual(['POST https://oauth2.googleapis.com/token application/x-www-form-urlencoded']);
  });
});

describe('parseServiceAccountKey', () => {
  it.each<[string, string, string]>([
    ['not JSON', '{nope', 'service account key is not valid JSON'],
    ['a user credential', JSON.stringify({ type: 'authorized_user' }), 'has type "authorized_user"'],
    [
      'no client_email',
      JSON.stringify({ type: 'service_account', private_key: privateKey }),
      'has no client_email',
    ],
    [
      'no private_key',
      JSON.stringify({ type: 'service_account', client_email: EMAIL }),
      'has no private_key',
    ],
  ])('rejects %s with a clear message', (_name, json, message) => {
    expect(() => parseServiceAccountKey(json)).toThrow(message);
  });

  it('never echoes the private key', () => {
    let message = '';
    try {
      parseServiceAccountKey(
        JSON.stringify({ type: 'service_account', private_key: privateKey, token_uri: 5 }),
      );
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toBe('service account key has no token_uri');
    expect(message).not.toContain('PRIVATE KEY');
  });

  it('rejects a private key that is not PKCS#8 without echoing it', async () => {
    const source = createServiceAccountTokenSource(
      keyJson('http://127.0.0.1:1/token', {
        private_key: '-----BEGIN PRIVATE KEY-----\nbroken\n-----END PRIVATE KEY-----',
      }),
    );
    const err = await source.token().catch((e: unknown) => e as Error);
    expect((err as Error).message).toBe(
      `service account ${EMAIL}: private_key is not a valid PKCS#8 RSA key`,
    );
  });
});
