import type { CompiledConsumerMcp } from '@tollgate/protocol';
import { globsToRegex } from '../names';

/**
 * Which tools an access token's scopes grant. Built in: `mcp:tools` grants every tool and
 * `mcp:tools:{name}` the tool of that prefixed name; `spec.mcp.oauth.scopes` adds named scopes
 * granting glob patterns of prefixed names. Compiled once per consumer config, never per request.
 */
export const ALL_TOOLS_SCOPE = 'mcp:tools';
const ONE_TOOL_PREFIX = `${ALL_TOOLS_SCOPE}:`;

export class ToolScopes {
  private readonly named: readonly { scope: string; matches: RegExp | undefined }[];

  constructor(oauth: CompiledConsumerMcp['oauth']) {
    this.named = (oauth?.scopes ?? []).map((s) => ({ scope: s.scope, matches: globsToRegex(s.tools) }));
  }

  /** What the protected resource metadata lists in scopes_supported. */
  get supported(): string[] {
    return [ALL_TOOLS_SCOPE, ...this.named.map((n) => n.scope)];
  }

  /** Whether a token holding `granted` may see and call the tool of this prefixed name. */
  grants(granted: ReadonlySet<string>, prefixed: string): boolean {
    if (granted.has(ALL_TOOLS_SCOPE) || granted.has(`${ONE_TOOL_PREFIX}${prefixed}`)) return true;
    return this.named.some((n) => granted.has(n.scope) && (n.matches?.test(prefixed) ?? false));
  }

  /** The scopes any one of which would grant the tool: what an insufficient_scope challenge asks for. */
  grantingScopes(prefixed: string): string[] {
    const named = this.named.filter((n) => n.matches?.test(prefixed) ?? false).map((n) => n.scope);
    return named.length > 0 ? named : [`${ONE_TOOL_PREFIX}${prefixed}`];
  }
}

/** The token's `scope` claim (space-separated, RFC 8693 §4.2) or `scp` (an array, as some issuers send). */
export function scopesOfClaims(claims: Record<string, unknown>): Set<string> {
  const out = new Set<string>();
  if (typeof claims.scope === 'string') for (const s of claims.scope.split(' ')) if (s) out.add(s);
  if (Array.isArray(claims.scp)) for (const s of claims.scp) if (typeof s === 'string' && s) out.add(s);
  return out;
}
