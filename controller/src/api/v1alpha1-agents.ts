/**
 * The agent-plane parts of the v1alpha1 API (see v1alpha1.ts): MCP servers, A2A agents, the
 * consumer's MCP and A2A settings and tool-call approvals.
 */

import type { Duration, LocalRef, SecretKeyRef } from './v1alpha1-common';

/** Human approval of MCP tool calls (Consumer spec.mcp.requireApproval). */
export interface GatewayApprovals {
  /** How long a call waits for a decision (default 5m); none by then = denied. */
  timeout?: Duration;
  /** Each new request POSTed there, signed with HMAC-SHA256 using the Secret's value. */
  webhook?: { url: string; secretRef: SecretKeyRef };
}

export const MCP_TRANSPORTS = ['StreamableHTTP', 'SSE', 'Stdio'] as const;
export type McpTransport = (typeof MCP_TRANSPORTS)[number];

/** A literal value or a Secret's. */
export interface NamedValue {
  name: string;
  value?: string;
  secretRef?: SecretKeyRef;
}

export interface McpServerSettings {
  /** Default StreamableHTTP. */
  transport?: McpTransport;
  /** StreamableHTTP and SSE: the server's MCP endpoint. */
  url?: string;
  headers?: NamedValue[];
  /** Stdio: the command, its arguments and environment. */
  command?: string;
  args?: string[];
  env?: NamedValue[];
}

export interface A2AAgentSettings {
  /** Path of the agent card below baseUrl (default /.well-known/agent-card.json). */
  cardPath?: string;
  /** How long a proxy keeps a fetched card (default 30s). */
  cardCacheTtl?: Duration;
  /** Extra request headers, each a literal value or a Secret's (exactly one of them). */
  headers?: { name: string; value?: string; secretRef?: SecretKeyRef }[];
}

/** Glob patterns: allow (all when unset), then deny. */
export interface McpFilter {
  allow?: string[];
  deny?: string[];
}

export interface ConsumerMcp {
  servers: { registryRef: LocalRef; prefix?: string }[];
  tools?: McpFilter;
  prompts?: McpFilter;
  resources?: McpFilter;
  exposeAs?: { tool: string; as: string }[];
  requireApproval?: string[];
  onServerDown?: 'FailOpen' | 'FailClosed';
  /** OAuth scopes → the tools they grant (besides the built-in mcp:tools and mcp:tools:{name}). */
  oauth?: { scopes?: { scope: string; tools: string[] }[] };
}

export interface ConsumerAgent {
  /** A Registry of provider a2a. */
  registryRef: LocalRef;
  /** The `{agent}` path segment (default the Registry's name). */
  name?: string;
}
