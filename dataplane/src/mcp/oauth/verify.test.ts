import { base64url, exportSPKI, generateKeyPair, importJWK, SignJWT } from 'jose';
import type { CompiledJwtIssuer } from '@tollgate/protocol';
import { startTestIssuer, type TestIssuer } from '../../testing/oauth-issuer';
import { IssuerKeys, metadataUrls } from './keys';
import { TokenRejected, looksLikeJwt, verifyAccessToken } from './verify';

/** Access tokens against a real local issuer (metadata + JWKS over HTTP, keys made by jose). */
const RESOURCE = 'http://gw.test/agent/mcp';
const ALGS = ['RS256', 'ES256', 'EdDSA'];

let idp: TestIssuer;
let other: TestIssuer;
let issuers: CompiledJwtIssuer[];

beforeAll(async () => {
  [idp, other] = await Promise.all([startTestIssuer(), startTestIssuer()]);
  // No jwksUri: found through the issuer's RFC 8414 metadata.
  issuers = [{ issuer: idp.issuer, audiences: [], algorithms: ALGS }];
});
afterAll(async () => {
  await Promise.all([idp?.close(), other?.close()]);
});

const nowSec = () => Math.floor(Date.now() / 1000);
const keys = new IssuerKeys();
const verify = (token: string, list = issuers, ks = keys) => verifyAccessToken(token, list, RESOURCE, ks);

function unsigned(claims: Record<string, unknown>): string {
  const enc = (o: unknown) => base64url.encode(JSON.stringify(o));
  return `${enc({ alg: 'none', typ: 'JWT' })}.${enc(claims)}.`;
}

describe('verifyAccessToken', () => {
  it('accepts a token of the issuer for this resource and reads its scopes', async () => {
    const token = await idp.sign({ aud: RESOURCE, sub: 'alice', scope: 'mcp:tools weather:read' });
    const v = await verify(token);
    expect(v).toEqual({
      issuer: idp.issuer,
      subject: 'alice',
      scopes: new Set(['mcp:tools', 'weather:read']),
    });
  });

  it('accepts an audience from the configured list instead of the resource URL', async () => {
    const list = [{ issuer: idp.issuer, audiences: ['api://agents'], algorithms: ALGS }];
    await expect(verify(await idp.sign({ aud: ['x', 'api://agents'] }), list)).resolves.toMatchObject({
      issuer: idp.issuer,
    });
    await expect(verify(await idp.sign({ aud: RESOURCE }), list)).rejects.toThrow('audience');
  });

  it('accepts a token expired within the clock skew', async () => {
    await expect(verify(await idp.sign({ aud: RESOURCE, exp: nowSec() - 10 }))).resolves.toBeDefined();
  });

  const cases: [string, () => Promise<string>, string][] = [
    ['wrong audience', () => idp.sign({ aud: 'http://gw.test/other/mcp' }), 'audience'],
    ['no audience', () => idp.sign({}), 'audience'],
    ['wrong issuer (another real issuer)', () => other.sign({ aud: RESOURCE }), 'trusted issuer'],
    [
      'an issuer claim naming the trusted issuer, signed by another',
      async () => {
        const { privateKey } = await generateKeyPair('RS256');
        return idp.sign({ aud: RESOURCE }, { key: privateKey, kid: 'key-1' });
      },
      'signature',
    ],
    ['expired', () => idp.sign({ aud: RESOURCE, exp: nowSec() - 120 }), 'expired'],
    ['not valid yet', () => idp.sign({ aud: RESOURCE, nbf: nowSec() + 600 }), 'not valid yet'],
    ['no exp', () => idp.sign({ aud: RESOURCE }, { withoutExp: true }), 'exp claim'],
    ['alg none', async () => unsigned({ iss: idp.issuer, aud: RESOURCE, exp: nowSec() + 60 }), 'alg none'],
    [
      'HS256 keyed with the public key (algorithm confusion)',
      async () => {
        const pem = await exportSPKI(
          (await importJWK(idp.publicJwk(), 'RS256', { extractable: true })) as never,
        );
        return new SignJWT({ iss: idp.issuer, aud: RESOURCE, scope: 'mcp:tools' })
          .setProtectedHeader({ alg: 'HS256', kid: 'key-1' })
          .setExpirationTime('5m')
          .sign(new TextEncoder().encode(pem));
      },
      'signature algorithm HS256 is not accepted',
    ],
    [
      "unknown kid (a forger's key)",
      async () => {
        const { privateKey } = await generateKeyPair('RS256');
        return idp.sign({ aud: RESOURCE }, { key: privateKey, kid: 'forged' });
      },
      'No key',
    ],
    [
      'tampered signature',
      async () => {
        const t = await idp.sign({ aud: RESOURCE });
        const flip = t.endsWith('A') ? 'B' : 'A';
        return `${t.slice(0, -2)}${flip}${t.slice(-1)}`;
      },
      'signature',
    ],
    [
      'tampered claims (scope added, signature kept)',
      async () => {
        const [h, , s] = (await idp.sign({ aud: RESOURCE, scope: 'read' })).split('.');
        const claims = { iss: idp.issuer, aud: RESOURCE, scope: 'mcp:tools', exp: nowSec() + 300 };
        return `${h}.${base64url.encode(JSON.stringify(claims))}.${s}`;
      },
      'signature',
    ],
    ['not a JWT', async () => 'abc.def', 'well-formed'],
  ];

  it.each(cases)('refuses %s', async (_name, make, message) => {
    const token = await make();
    const err = await verify(token).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TokenRejected);
    expect((err as Error).message).toContain(message);
    // The reason never repeats the token.
    expect((err as Error).message).not.toContain(token.slice(0, 20));
  });

  it('refuses an algorithm outside the issuer list even when the key would verify it', async () => {
    const list = [{ issuer: idp.issuer, audiences: [], algorithms: ['ES256'] }];
    await expect(verify(await idp.sign({ aud: RESOURCE }), list)).rejects.toThrow(
      'The signature algorithm RS256 is not accepted',
    );
  });

  it('fetches the JWKS again for an unknown kid, so a rotated key works at once', async () => {
    const fresh = await startTestIssuer();
    try {
      const ks = new IssuerKeys({ cooldownMs: 50 });
      const list = [{ issuer: fresh.issuer, jwksUri: fresh.jwksUri, audiences: [], algorithms: ALGS }];
      await verify(await fresh.sign({ aud: RESOURCE }), list, ks);
      expect(fresh.jwksFetches).toBe(1);
      await new Promise((r) => setTimeout(r, 60));
      await fresh.rotate();
      await expect(verify(await fresh.sign({ aud: RESOURCE }), list, ks)).resolves.toBeDefined();
      expect(fresh.jwksFetches).toBe(2);
    } finally {
      await fresh.close();
    }
  });

  it('bounds the JWKS fetches that unknown kids cause (one per cooldown)', async () => {
    const fresh = await startTestIssuer();
    try {
      const ks = new IssuerKeys({ cooldownMs: 60_000 });
      const list = [{ issuer: fresh.issuer, jwksUri: fresh.jwksUri, audiences: [], algorithms: ALGS }];
      await verify(await fresh.sign({ aud: RESOURCE }), list, ks);
      const { privateKey } = await generateKeyPair('RS256');
      for (let i = 0; i < 20; i++) {
        const forged = await fresh.sign({ aud: RESOURCE }, { key: privateKey, kid: `forged-${i}` });
        await expect(verify(forged, list, ks)).rejects.toThrow(TokenRejected);
      }
      expect(fresh.jwksFetches).toBeLessThanOrEqual(2);
    } finally {
      await fresh.close();
    }
  });

  it('refuses tokens of an issuer whose keys cannot be found (no metadata, no JWKS)', async () => {
    const gone = 'http://127.0.0.1:1';
    const list = [{ issuer: gone, audiences: [], algorithms: ALGS }];
    const token = await idp.sign({ iss: gone, aud: RESOURCE });
    await expect(verify(token, list)).rejects.toThrow("issuer's signing keys could not be fetched");
  });
});

describe('helpers', () => {
  it('looksLikeJwt tells a compact JWS from an API key', () => {
    expect(looksLikeJwt('aaa.bbb.ccc')).toBe(true);
    expect(looksLikeJwt('sk-live-123')).toBe(false);
    expect(looksLikeJwt('a.b')).toBe(false);
  });

  it('metadataUrls: RFC 8414 path insertion, then OpenID Connect discovery', () => {
    expect(metadataUrls('https://idp.example.com/realms/a')).toEqual([
      'https://idp.example.com/.well-known/oauth-authorization-server/realms/a',
      'https://idp.example.com/realms/a/.well-known/openid-configuration',
    ]);
    expect(metadataUrls('https://idp.example.com')).toEqual([
      'https://idp.example.com/.well-known/oauth-authorization-server',
      'https://idp.example.com/.well-known/openid-configuration',
    ]);
  });
});
