import type { importPKCS8 } from 'jose';
import { request } from '../undici';
import { describeFailure } from '../failure';

/**
 * OAuth 2.0 access tokens for a Google service account ("Using OAuth 2.0 for Server to Server
 * Applications"): sign a JWT assertion with the account's key (RS256; iss = client_email,
 * scope, aud = token_uri, iat, exp ≤ 1 h), POST it to token_uri with the jwt-bearer grant, and use
 * the access token until shortly before it expires. Errors never carry the private key.
 */

export const CLOUD_PLATFORM_SCOPE = 'https://www.googleapis.com/auth/cloud-platform';
const JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
const DEFAULT_TOKEN_URI = 'https://oauth2.googleapis.com/token';
/** Google accepts assertions valid for at most an hour. */
const ASSERTION_LIFETIME_S = 3600;
/** Refresh this long before the token expires, so no request goes out with a token about to lapse. */
const REFRESH_MARGIN_MS = 5 * 60_000;

/** The HTTP call to the token endpoint; injectable for tests. */
export type TokenFetch = (
  url: string,
  init: { method: 'POST'; headers: Record<string, string>; body: string },
) => Promise<{ status: number; text: string }>;

export interface TokenSourceOptions {
  fetch?: TokenFetch;
  /** Milliseconds since the epoch. */
  now?: () => number;
  scope?: string;
}

export interface TokenSource {
  token(): Promise<string>;
}

type SigningKey = Awaited<ReturnType<typeof importPKCS8>>;

interface ServiceAccountKey {
  clientEmail: string;
  privateKey: string;
  privateKeyId?: string;
  tokenUri: string;
}

const undiciFetch: TokenFetch = async (url, init) => {
  const res = await request(url, { method: init.method, headers: init.headers, body: init.body });
  return { status: res.statusCode, text: await res.body.text() };
};

export function parseServiceAccountKey(keyJson: string): ServiceAccountKey {
  let v: unknown;
  try {
    v = JSON.parse(keyJson);
  } catch {
    throw new Error('service account key is not valid JSON');
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v))
    throw new Error('service account key is not a JSON object');
  const key = v as Record<string, unknown>;
  if (key.type !== 'service_account')
    throw new Error(`service account key has type ${JSON.stringify(key.type)}, expected "service_account"`);
  const field = (name: string): string => {
    const value = key[name];
    if (typeof value !== 'string' || value === '') throw new Error(`service account key has no ${name}`);
    return value;
  };
  const tokenUri = key.token_uri === undefined ? DEFAULT_TOKEN_URI : field('token_uri');
  return {
    clientEmail: field('client_email'),
    privateKey: field('private_key'),
    ...(typeof key.private_key_id === 'string' ? { privateKeyId: key.private_key_id } : {}),
    tokenUri,
  };
}

export function createServiceAccountTokenSource(keyJson: string, opts: TokenSourceOptions = {}): TokenSource {
  const key = parseServiceAccountKey(keyJson);
  const fetch = opts.fetch ?? undiciFetch;
  const now = opts.now ?? Date.now;
  const scope = opts.scope ?? CLOUD_PLATFORM_SCOPE;
  let signingKey: Promise<SigningKey> | undefined;
  let cached: { token: string; refreshAt: number } | undefined;
  let inflight: Promise<string> | undefined;

  const importKey = (): Promise<SigningKey> =>
    // jose is loaded by the first token refresh, not by every proxy.
    (signingKey ??= import('jose')
      .then((jose) => jose.importPKCS8(key.privateKey, 'RS256'))
      .catch(() => {
        signingKey = undefined;
        throw new Error(`service account ${key.clientEmail}: private_key is not a valid PKCS#8 RSA key`);
      }));

  async function refresh(): Promise<string> {
    const { SignJWT } = await import('jose');
    const iat = Math.floor(now() / 1000);
    const assertion = await new SignJWT({ scope })
      .setProtectedHeader({
        alg: 'RS256',
        typ: 'JWT',
        ...(key.privateKeyId ? { kid: key.privateKeyId } : {}),
      })
      .setIssuer(key.clientEmail)
      .setAudience(key.tokenUri)
      .setIssuedAt(iat)
      .setExpirationTime(iat + ASSERTION_LIFETIME_S)
      .sign(await importKey());
    const body = new URLSearchParams({ grant_type: JWT_BEARER, assertion }).toString();
    let res: { status: number; text: string };
    try {
      res = await fetch(key.tokenUri, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body,
      });
    } catch (e) {
      throw new Error(`Google token endpoint ${key.tokenUri} unreachable: ${describeFailure(e).message}`, {
        cause: e,
      });
    }
    let json: Record<string, unknown> = {};
    try {
      const parsed: unknown = JSON.parse(res.text);
      if (typeof parsed === 'object' && parsed !== null) json = parsed as Record<string, unknown>;
    } catch {
      // reported below
    }
    if (res.status < 200 || res.status >= 300) {
      const error = typeof json.error === 'string' ? json.error : 'unknown_error';
      const description = typeof json.error_description === 'string' ? `: ${json.error_description}` : '';
      throw new Error(`Google token endpoint answered ${res.status} (${error}${description})`);
    }
    if (typeof json.access_token !== 'string' || json.access_token === '')
      throw new Error('Google token endpoint answered without an access_token');
    const expiresIn = typeof json.expires_in === 'number' ? json.expires_in : ASSERTION_LIFETIME_S;
    cached = { token: json.access_token, refreshAt: now() + expiresIn * 1000 - REFRESH_MARGIN_MS };
    return json.access_token;
  }

  return {
    token(): Promise<string> {
      if (cached && now() < cached.refreshAt) return Promise.resolve(cached.token);
      // Concurrent callers share one refresh.
      inflight ??= refresh().finally(() => {
        inflight = undefined;
      });
      return inflight;
    },
  };
}
