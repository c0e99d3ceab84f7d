/**
 * The OAuth 2.1 resource-server side of `/{consumer}/mcp` in pure functions: the resource's URL,
 * its protected resource metadata (RFC 9728) and the `WWW-Authenticate: Bearer` challenges
 * (RFC 6750 §3) the MCP authorization spec asks for.
 */

export const METADATA_PATH = '/.well-known/oauth-protected-resource';

/** What the request says about where the client reached the gateway. */
export interface RequestOrigin {
  /** `x-forwarded-proto` when a proxy in front terminated TLS; else `http` (the proxy port is plain HTTP). */
  forwardedProto: string | undefined;
  host: string | undefined;
}

/** `{scheme}://{host}`: the origin the client used, as the resource and metadata URLs must name it. */
export function originOf(o: RequestOrigin): string {
  const first = o.forwardedProto?.split(',')[0]?.trim().toLowerCase();
  const scheme = first === 'https' ? 'https' : 'http';
  return `${scheme}://${o.host ?? 'localhost'}`;
}

/** The consumer's MCP endpoint: the resource a token's audience names (RFC 8707). */
export function resourceUrl(origin: string, consumerSlug: string): string {
  return `${origin}/${consumerSlug}/mcp`;
}

/** RFC 9728 §3.1: the well-known segment goes between the origin and the resource's path. */
export function metadataUrl(origin: string, consumerSlug: string): string {
  return `${origin}${METADATA_PATH}/${consumerSlug}/mcp`;
}

export interface ResourceMetadata {
  resource: string;
  authorization_servers: string[];
  scopes_supported: string[];
  bearer_methods_supported: ['header'];
  resource_name: string;
}

export function resourceMetadata(
  resource: string,
  issuers: readonly string[],
  scopes: readonly string[],
  name: string,
): ResourceMetadata {
  return {
    resource,
    authorization_servers: [...issuers],
    scopes_supported: [...scopes],
    bearer_methods_supported: ['header'],
    resource_name: name,
  };
}

export type ChallengeError = 'invalid_token' | 'insufficient_scope';

/** A refusal that carries a Bearer challenge: 401 (no or bad token) or 403 (insufficient scope). */
export class OAuthChallenge extends Error {
  constructor(
    readonly status: 401 | 403,
    readonly header: string,
    message: string,
  ) {
    super(message);
    this.name = 'OAuthChallenge';
  }
}

/** `Bearer resource_metadata="…"[, scope="…"][, error="…", error_description="…"]`. */
export function bearerChallenge(c: {
  metadataUrl: string;
  scopes?: readonly string[];
  error?: ChallengeError;
  description?: string;
}): string {
  const params: string[] = [];
  if (c.error) params.push(`error="${c.error}"`);
  if (c.scopes && c.scopes.length > 0) params.push(`scope="${quoted(c.scopes.join(' '))}"`);
  params.push(`resource_metadata="${quoted(c.metadataUrl)}"`);
  if (c.description) params.push(`error_description="${quoted(c.description)}"`);
  return `Bearer ${params.join(', ')}`;
}

/** RFC 6750 §3: error_description and the other values are %x20-21 / %x23-5B / %x5D-7E. */
function quoted(s: string): string {
  return s.replace(/[^\x20\x21\x23-\x5B\x5D-\x7E]/g, '?');
}
