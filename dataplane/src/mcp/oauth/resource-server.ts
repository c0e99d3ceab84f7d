import type { CompiledConsumerMcp } from '@tollgate/protocol';
import type { RuntimeConsumer, RuntimeGateway, Snapshot } from '../../config/snapshot';
import { GatewayError } from '../../errors/errors';
import type { Exchange } from '../../proxy/exchange';
import { authenticate, findConsumer, findGateway, presentedKey } from '../../proxy/resolve';
import type { McpNames } from '../names';
import {
  METADATA_PATH,
  OAuthChallenge,
  bearerChallenge,
  metadataUrl,
  originOf,
  resourceMetadata,
  resourceUrl,
} from './challenge';
import { IssuerKeys } from './keys';
import { ToolScopes } from './scopes';
import { TokenRejected, looksLikeJwt, verifyAccessToken, type VerifiedToken } from './verify';

/**
 * OAuth 2.1 resource-server mode of `/{consumer}/mcp`, for consumers with `spec.credentials.jwt`:
 * API keys keep working; a request without credentials is a 401 whose challenge points at the
 * protected resource metadata; a JWT access token is verified and its scopes limit the tools.
 * Consumers without issuers are authenticated exactly as before (API keys only).
 */
/** `keyHash`: the SHA-256 of the API key (rate-limit counters keyed by APIKey). */
export type McpIdentity = { kind: 'key'; keyHash: Buffer } | { kind: 'token'; token: VerifiedToken };

export interface ResourceServerOptions {
  keys?: IssuerKeys;
  now?: () => number;
}

export class McpResourceServer {
  private readonly keys: IssuerKeys;
  private readonly now: () => number;
  private readonly scopes = new WeakMap<CompiledConsumerMcp, ToolScopes>();

  constructor(o: ResourceServerOptions = {}) {
    this.keys = o.keys ?? new IssuerKeys();
    this.now = o.now ?? Date.now;
  }

  /** Who is calling: an API key of the consumer, or a verified access token. Throws otherwise. */
  async authenticate(x: Exchange, consumer: RuntimeConsumer): Promise<McpIdentity> {
    const issuers = consumer.config.jwt;
    const presented = presentedKey(x);
    if (!issuers || issuers.length === 0) {
      return { kind: 'key', keyHash: authenticate(consumer, presented) };
    }
    const origin = originOf({ forwardedProto: x.header('x-forwarded-proto'), host: hostOf(x) });
    const slug = consumer.config.slug;
    const challenge = (description?: string) =>
      bearerChallenge({
        metadataUrl: metadataUrl(origin, slug),
        ...(description
          ? { error: 'invalid_token' as const, description }
          : { scopes: this.toolScopes(consumer.config.mcp).supported }),
      });
    if (!presented) {
      throw new OAuthChallenge(
        401,
        challenge(),
        'Unauthorized: this MCP endpoint needs an OAuth access token (or an API key of the consumer).',
      );
    }
    if (consumer.keyHashes.length > 0 || !looksLikeJwt(presented)) {
      try {
        return { kind: 'key', keyHash: authenticate(consumer, presented) };
      } catch (err) {
        // Not one of its keys: a token, then. Neither: the challenge, unless the key is another
        // consumer's (403, as for a key).
        if (!looksLikeJwt(presented)) {
          if (err instanceof GatewayError && err.status === 401) {
            const why = 'The credential is neither an API key of this consumer nor a JWT.';
            throw new OAuthChallenge(401, challenge(why), `Unauthorized: ${why}`);
          }
          throw err;
        }
      }
    }
    try {
      const token = await verifyAccessToken(
        presented,
        issuers,
        resourceUrl(origin, slug),
        this.keys,
        this.now,
      );
      return { kind: 'token', token };
    } catch (err) {
      const why = err instanceof TokenRejected ? err.message : 'The access token could not be verified.';
      throw new OAuthChallenge(401, challenge(why), `Unauthorized: ${why}`);
    }
  }

  /** The consumer's names as a token sees them: only the tools its scopes grant. */
  namesFor(identity: McpIdentity, names: McpNames, mcp: CompiledConsumerMcp): McpNames {
    if (identity.kind === 'key') return names;
    const scopes = this.toolScopes(mcp);
    const granted = identity.token.scopes;
    const view = Object.create(names) as McpNames;
    view.allows = (kind, prefixed) =>
      names.allows(kind, prefixed) && (kind !== 'tool' || scopes.grants(granted, prefixed));
    return view;
  }

  /**
   * A `tools/call` of a tool the consumer may use but the token's scopes do not grant: HTTP 403
   * with an insufficient_scope challenge naming the token's scopes and one that would grant it, so
   * that a client can step up (MCP authorization, "Scope Challenge Handling"). Unknown and hidden
   * tools are left to the endpoint's own answer ("Unknown tool"), which reveals nothing.
   */
  checkToolCall(
    identity: McpIdentity,
    names: McpNames,
    mcp: CompiledConsumerMcp,
    x: Exchange,
    consumerSlug: string,
    visible: string,
  ): void {
    if (identity.kind === 'key') return;
    const target = names.resolveTool(visible);
    if (!target || !names.allows('tool', target.prefixed)) return;
    const scopes = this.toolScopes(mcp);
    const granted = identity.token.scopes;
    if (scopes.grants(granted, target.prefixed)) return;
    const origin = originOf({ forwardedProto: x.header('x-forwarded-proto'), host: hostOf(x) });
    const wanted = [...new Set([...granted, ...scopes.grantingScopes(target.prefixed)])];
    throw new OAuthChallenge(
      403,
      bearerChallenge({
        metadataUrl: metadataUrl(origin, consumerSlug),
        error: 'insufficient_scope',
        scopes: wanted,
        description: `The token's scopes do not grant the tool ${visible}.`,
      }),
      `Forbidden: the access token's scopes do not grant the tool '${visible}' (insufficient_scope).`,
    );
  }

  /**
   * `GET /.well-known/oauth-protected-resource/{consumer}/mcp` (RFC 9728), and the path-less form
   * when exactly one consumer of the gateway has issuers. Public, like any such document.
   */
  metadata(x: Exchange, path: string, snapshot: Snapshot): void {
    const json = { 'content-type': 'application/json' };
    try {
      if (x.method !== 'GET' && x.method !== 'HEAD')
        return x.respond(405, { ...json, allow: 'GET, HEAD' }, oauthError('method_not_allowed', 'Use GET.'));
      const gateway = findGateway(snapshot, x.header('x-ag-gateway-slug'), hostOf(x));
      const consumer = consumerOfMetadataPath(gateway, path.slice(METADATA_PATH.length));
      const issuers = consumer?.config.jwt;
      if (!consumer || !issuers || issuers.length === 0 || !consumer.config.mcp) {
        return x.respond(
          404,
          json,
          oauthError('not_found', 'No OAuth-protected MCP resource at this path of this gateway.'),
        );
      }
      const origin = originOf({ forwardedProto: x.header('x-forwarded-proto'), host: hostOf(x) });
      const doc = resourceMetadata(
        resourceUrl(origin, consumer.config.slug),
        issuers.map((i) => i.issuer),
        this.toolScopes(consumer.config.mcp).supported,
        `${gateway.config.slug}/${consumer.config.slug} MCP`,
      );
      return x.respond(200, { ...json, 'cache-control': 'max-age=300' }, JSON.stringify(doc));
    } catch (err) {
      if (err instanceof GatewayError) return x.respond(err.status, json, oauthError(err.code, err.message));
      throw err;
    }
  }

  private toolScopes(mcp: CompiledConsumerMcp | undefined): ToolScopes {
    if (!mcp) return new ToolScopes(undefined);
    let s = this.scopes.get(mcp);
    if (!s) this.scopes.set(mcp, (s = new ToolScopes(mcp.oauth)));
    return s;
  }
}

export { METADATA_PATH, OAuthChallenge };

function hostOf(x: Exchange): string | undefined {
  return x.header('host');
}

/** `/{consumer}/mcp` names that consumer; `` (or `/`) the one consumer with issuers, if only one. */
function consumerOfMetadataPath(gateway: RuntimeGateway, rest: string): RuntimeConsumer | undefined {
  const m = /^\/([^/]+)\/mcp\/?$/.exec(rest);
  if (m?.[1]) return findConsumer(gateway, m[1]);
  if (rest !== '' && rest !== '/') return undefined;
  const protectedOnes = [...gateway.consumersBySlug.values()].filter(
    (c) => c.config.mcp && (c.config.jwt?.length ?? 0) > 0,
  );
  return protectedOnes.length === 1 ? protectedOnes[0] : undefined;
}

function oauthError(error: string, description: string): string {
  return JSON.stringify({ error, error_description: description });
}
