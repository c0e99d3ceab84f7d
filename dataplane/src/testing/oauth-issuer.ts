import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK, type JWTPayload } from 'jose';

/**
 * A real OAuth authorization server, as far as a resource server sees one: an HTTP server on
 * 127.0.0.1 serving its RFC 8414 metadata and its JWKS, with signing keys made by jose. Tests
 * sign access tokens with it (valid or broken in chosen ways) and count the JWKS fetches.
 */
export interface TestIssuer {
  /** The issuer identifier (`iss`), `http://127.0.0.1:{port}`. */
  issuer: string;
  jwksUri: string;
  /** JWKS requests served so far. */
  jwksFetches: number;
  /** Signs a token with the current key (or `key`); `kid` and `alg` can be overridden. */
  sign(claims: JWTPayload, o?: SignOptions): Promise<string>;
  /** Adds a new key (published at once) and makes it the current one; returns its kid. */
  rotate(): Promise<string>;
  /** The current key's public half, as the JWKS publishes it. */
  publicJwk(): JWK;
  close(): Promise<void>;
}

export interface SignOptions {
  kid?: string;
  /** A key that is not published (a forger's). */
  key?: CryptoKey;
  expiresIn?: string | number;
  /** No `exp` at all. */
  withoutExp?: boolean;
}

interface Key {
  kid: string;
  privateKey: CryptoKey;
  jwk: JWK;
}

async function newKey(kid: string): Promise<Key> {
  const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
  const jwk = { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' };
  return { kid, privateKey, jwk };
}

export async function startTestIssuer(): Promise<TestIssuer> {
  const keys: Key[] = [await newKey('key-1')];
  const state = { jwksFetches: 0 };
  let base = '';
  const server: Server = createServer((req, res) => {
    const json = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (req.url === '/.well-known/oauth-authorization-server') {
      json(200, {
        issuer: base,
        authorization_endpoint: `${base}/authorize`,
        token_endpoint: `${base}/token`,
        jwks_uri: `${base}/jwks`,
        response_types_supported: ['code'],
        code_challenge_methods_supported: ['S256'],
      });
    } else if (req.url === '/jwks') {
      state.jwksFetches++;
      json(200, { keys: keys.map((k) => k.jwk) });
    } else json(404, { error: 'not_found' });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const current = () => keys[keys.length - 1] as Key;
  return {
    issuer: base,
    jwksUri: `${base}/jwks`,
    get jwksFetches() {
      return state.jwksFetches;
    },
    async sign(claims, o = {}) {
      const key = current();
      const jwt = new SignJWT({ iss: base, ...claims })
        .setProtectedHeader({ alg: 'RS256', kid: o.kid ?? key.kid, typ: 'at+jwt' })
        .setIssuedAt();
      if (claims.exp === undefined && !o.withoutExp) jwt.setExpirationTime(o.expiresIn ?? '5m');
      return jwt.sign(o.key ?? key.privateKey);
    },
    async rotate() {
      const key = await newKey(`key-${keys.length + 1}`);
      keys.push(key);
      return key.kid;
    },
    publicJwk: () => current().jwk,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
