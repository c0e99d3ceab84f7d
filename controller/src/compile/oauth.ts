import type { CompiledConsumerMcp, CompiledJwtIssuer } from '@tollgate/protocol';
import { JWT_ALGORITHMS, type ConsumerMcp, type JwtIssuer } from '../api/v1alpha1';
import type { StatusBuilder } from './status';

/**
 * OAuth 2.1 resource-server mode of /{slug}/mcp (see docs/mcp.md): the Consumer's JWT issuers,
 * defaults filled in, and its scope → tool mapping. The CRD's schema and CEL rules refuse most bad
 * input; these checks hold for standalone files too.
 */

const HTTP_URL = /^https?:\/\/[^/?#\s]+/;
/** RFC 6749 §3.3 scope-token. */
const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/;

export function compileJwtIssuers(
  status: StatusBuilder,
  list: readonly JwtIssuer[] | undefined,
): CompiledJwtIssuer[] | undefined {
  if (list === undefined || list.length === 0) return undefined;
  const seen = new Set<string>();
  return list.map((j, i) => {
    const at = `spec.credentials.jwt[${i}]`;
    const issuer = typeof j.issuer === 'string' ? j.issuer : '';
    if (!HTTP_URL.test(issuer)) status.reject('Invalid', `${at}.issuer: must be an http or https URL`);
    if (seen.has(issuer)) status.reject('Invalid', `${at}.issuer: '${issuer}' is listed twice`);
    seen.add(issuer);
    if (j.jwksUri !== undefined && !HTTP_URL.test(j.jwksUri))
      status.reject('Invalid', `${at}.jwksUri: must be an http or https URL`);
    const algorithms = [...new Set(j.algorithms ?? JWT_ALGORITHMS)];
    for (const a of algorithms) {
      if (!(JWT_ALGORITHMS as readonly string[]).includes(a)) {
        status.reject(
          'Invalid',
          `${at}.algorithms: '${String(a)}' is not accepted (asymmetric only: ${JWT_ALGORITHMS.join(', ')})`,
        );
      }
    }
    return {
      issuer,
      ...(j.jwksUri !== undefined ? { jwksUri: j.jwksUri } : {}),
      audiences: [...new Set(j.audiences ?? [])],
      algorithms,
    };
  });
}

export function compileMcpOAuth(
  status: StatusBuilder,
  spec: ConsumerMcp['oauth'],
  hasIssuers: boolean,
): CompiledConsumerMcp['oauth'] {
  if (spec === undefined) return undefined;
  if (!hasIssuers) status.reject('Invalid', 'spec.mcp.oauth: needs at least one spec.credentials.jwt issuer');
  const seen = new Set<string>();
  const scopes = (spec.scopes ?? []).map((s, i) => {
    const at = `spec.mcp.oauth.scopes[${i}]`;
    if (typeof s.scope !== 'string' || !SCOPE_TOKEN.test(s.scope))
      status.reject('Invalid', `${at}.scope: one OAuth scope token (no spaces, quotes or backslashes)`);
    else if (seen.has(s.scope)) status.reject('Invalid', `${at}.scope: '${s.scope}' is listed twice`);
    seen.add(s.scope);
    if ((s.tools ?? []).length === 0)
      status.reject('Invalid', `${at}.tools: at least one pattern is required`);
    return { scope: s.scope, tools: [...new Set(s.tools ?? [])] };
  });
  return { scopes };
}
