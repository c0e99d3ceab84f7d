/**
 * The agent-plane parts of the compiled resources (see types.ts): MCP servers and sessions, A2A
 * agents, tool-call approvals, OAuth access-token issuers and the MCP tool guard.
 */

import type { FailureMode } from './common-types';

/**
 * The keys that seal MCP session ids (AES-256-GCM). `key` is 32 bytes, base64, derived by compile
 * (HKDF-SHA256) from the Secret's value; the first key seals, every key opens.
 */
export interface CompiledGatewayMcp {
  sessionKeys: { id: string; key: string }[];
  /** Absolute session lifetime from initialize. */
  sessionTtlMs: number;
  /** Idle limit, enforced by each proxy for the sessions it has served (see dataplane/src/mcp). */
  idleTimeoutMs: number;
}

/** How a tool call that needs approval waits, and who is told (see dataplane/src/approvals). */
export interface CompiledApprovals {
  /** How long a call waits for a decision; none by then = denied. */
  timeoutMs: number;
  /** Each new request is POSTed there, signed with `signingKey` (HMAC-SHA256; a secret). */
  webhook?: { url: string; signingKey: string };
}

/**
 * An MCP server reached over HTTP: Streamable HTTP, or the legacy HTTP+SSE transport (protocol
 * 2024-11-05: `url` is the server's event stream, which names the endpoint to POST to). `headers`
 * (lower-case names, values resolved from Secrets) are sent with every request; the registry's
 * `apiKey`, when set, as Authorization Bearer.
 */
export type CompiledMcpServer = CompiledMcpHttpServer | CompiledMcpStdioServer;

export interface CompiledMcpHttpServer {
  transport: 'StreamableHTTP' | 'SSE';
  url: string;
  headers: Record<string, string>;
}

/**
 * An A2A agent: JSON-RPC requests are POSTed to the registry's baseUrl, its card is read from
 * `baseUrl + cardPath` and kept `cardCacheTtlMs` per proxy. `headers` (lower-case names, values
 * resolved from Secrets) go with every request; the registry's `apiKey`, when set, as Authorization
 * Bearer.
 */
export interface CompiledA2AAgent {
  cardPath: string;
  cardCacheTtlMs: number;
  headers: Record<string, string>;
}

/**
 * An MCP server the proxy runs itself as a child process, speaking MCP over its stdin/stdout
 * (standalone mode only: compile refuses it in the controller). `env` values are resolved from
 * Secrets and added to the proxy's own environment; `command` is run without a shell.
 */
export interface CompiledMcpStdioServer {
  transport: 'Stdio';
  command: string;
  args: string[];
  env: Record<string, string>;
}

/** One issuer of JWT access tokens: checked against its JWKS (see dataplane/src/mcp/oauth). */
export interface CompiledJwtIssuer {
  /** The exact `iss`; also the authorization server named in the protected resource metadata. */
  issuer: string;
  /** Absent: discovered from the issuer's metadata (oauth-authorization-server, then openid-configuration). */
  jwksUri?: string;
  /** Accepted `aud` values; empty: the consumer's MCP resource URL as the client reached it. */
  audiences: string[];
  /** Accepted JWS algorithms, asymmetric only (never `none`, never HS*). */
  algorithms: string[];
}

/** Glob patterns (`*` any run, `?` one character) over prefixed names (before `exposeAs`). */
export interface CompiledMcpFilter {
  /** Empty: everything. */
  allow: string[];
  deny: string[];
}

export interface CompiledConsumerMcp {
  /**
   * Registry resource names (provider mcp) and their unique prefixes (empty when every reference
   * failed to resolve: no server is reached); `prefix` is empty only when
   * there is exactly one server. Tool and prompt names are `{prefix}_{name}`, resource URIs and
   * URI templates `{prefix}+{uri}`.
   */
  servers: { registry: string; prefix: string }[];
  tools: CompiledMcpFilter;
  prompts: CompiledMcpFilter;
  resources: CompiledMcpFilter;
  /** Prefixed tool name → the name the consumer sees instead. */
  exposeAs: Record<string, string>;
  /** Tools (globs over prefixed names) whose calls need approval: refused until approvals exist. */
  requireApproval: string[];
  onServerDown: FailureMode;
  /** OAuth scopes beyond the built-in `mcp:tools` / `mcp:tools:{name}`, and the tools (globs) each grants. */
  oauth?: { scopes: { scope: string; tools: string[] }[] };
}

export interface CompiledConsumerA2A {
  /**
   * Resolved agents only (each a Registry of provider a2a), sorted by name, names unique. May be
   * empty when every reference failed to resolve (the Consumer's ResolvedRefs=False).
   */
  agents: { name: string; registry: string }[];
}

/**
 * Guards the tools MCP servers offer: each tool's definition is fingerprinted (SHA-256 of its
 * canonical JSON) and pinned, a tool that changes later ("rug pull") is blocked (Enforce) or reported
 * (Observe), and descriptions carrying hidden instructions for the model are flagged.
 */
export interface CompiledToolGuard {
  mode: 'Enforce' | 'Observe';
  /**
   * FirstSeen: the first definition a proxy sees of a tool is pinned for the life of the process
   * (per replica; `pinned` entries are pinned from the start). Declared: only the `pinned` fingerprints
   * are allowed.
   */
  pin: 'FirstSeen' | 'Declared';
  /** Tool names as the client sees them (server prefix included), unique, sorted; at least one under Declared. */
  pinned: { tool: string; sha256: string }[];
  detectHiddenInstructions: boolean;
  /** Lower-case host names (a `*.` prefix covers subdomains) that URLs in descriptions may point at; unique, sorted. */
  allowUrlHosts: string[];
}
