import { createRemoteJWKSet, type JWTVerifyGetKey } from 'jose';
import type { CompiledJwtIssuer } from '@tollgate/protocol';

/**
 * The signing keys of each issuer: its JWKS, fetched on first use and cached (jose's remote key
 * set: re-fetched after `maxAgeMs`, and at once when a token names an unknown `kid` — at most once
 * per `cooldownMs`, so a flood of forged kids cannot hammer the issuer). Without a configured
 * jwksUri the issuer's metadata names it: RFC 8414 (`/.well-known/oauth-authorization-server`,
 * inserted before the issuer's path), then OpenID Connect Discovery (`/.well-known/openid-configuration`
 * appended). A failed discovery is retried after `cooldownMs`, never per request.
 */
export interface IssuerKeysOptions {
  cooldownMs?: number;
  maxAgeMs?: number;
  timeoutMs?: number;
}

export class IssuerKeys {
  private readonly sets = new Map<string, JWTVerifyGetKey>();
  private readonly discovered = new Map<string, Promise<string>>();
  private readonly cooldownMs: number;
  private readonly maxAgeMs: number;
  private readonly timeoutMs: number;

  constructor(o: IssuerKeysOptions = {}) {
    this.cooldownMs = o.cooldownMs ?? 30_000;
    this.maxAgeMs = o.maxAgeMs ?? 10 * 60_000;
    this.timeoutMs = o.timeoutMs ?? 5_000;
  }

  /** The key lookup for tokens of this issuer (throws when its JWKS cannot be located). */
  async keysOf(issuer: CompiledJwtIssuer): Promise<JWTVerifyGetKey> {
    const uri = issuer.jwksUri ?? (await this.discover(issuer.issuer));
    let set = this.sets.get(uri);
    if (!set) {
      if (this.sets.size >= MAX_KEY_SETS) this.sets.clear();
      set = createRemoteJWKSet(new URL(uri), {
        cooldownDuration: this.cooldownMs,
        cacheMaxAge: this.maxAgeMs,
        timeoutDuration: this.timeoutMs,
      });
      this.sets.set(uri, set);
    }
    return set;
  }

  private discover(issuer: string): Promise<string> {
    const cached = this.discovered.get(issuer);
    if (cached) return cached;
    const uri = discoverJwksUri(issuer, this.timeoutMs);
    this.discovered.set(issuer, uri);
    // A failure is remembered for the cooldown, then forgotten so that the next token tries again.
    uri.catch(() => {
      setTimeout(() => {
        if (this.discovered.get(issuer) === uri) this.discovered.delete(issuer);
      }, this.cooldownMs).unref();
    });
    return uri;
  }
}

/** Bound on the distinct JWKS URLs remembered (config changes only ever add a few). */
const MAX_KEY_SETS = 256;

export function metadataUrls(issuer: string): string[] {
  const u = new URL(issuer);
  const path = u.pathname === '/' ? '' : u.pathname.replace(/\/$/, '');
  return [
    `${u.origin}/.well-known/oauth-authorization-server${path}`,
    `${u.origin}${path}/.well-known/openid-configuration`,
  ];
}

async function discoverJwksUri(issuer: string, timeoutMs: number): Promise<string> {
  const problems: string[] = [];
  for (const url of metadataUrls(issuer)) {
    try {
      const res = await fetch(url, {
        headers: { accept: 'application/json' },
        signal: AbortSignal.timeout(timeoutMs),
        redirect: 'error',
      });
      if (!res.ok) {
        problems.push(`${url}: HTTP ${res.status}`);
        continue;
      }
      const meta = (await res.json()) as { issuer?: unknown; jwks_uri?: unknown };
      // RFC 8414 §3.3: the metadata must name the issuer it was fetched for.
      if (meta.issuer !== issuer) {
        problems.push(`${url}: names issuer ${String(meta.issuer)}`);
        continue;
      }
      if (typeof meta.jwks_uri !== 'string' || !/^https?:\/\//.test(meta.jwks_uri)) {
        problems.push(`${url}: no jwks_uri`);
        continue;
      }
      return meta.jwks_uri;
    } catch (err) {
      problems.push(`${url}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  throw new Error(`no JWKS found for issuer ${issuer} (${problems.join('; ')})`);
}
