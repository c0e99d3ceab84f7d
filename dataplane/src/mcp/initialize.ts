import { LATEST_PROTOCOL_VERSION, SUPPORTED_PROTOCOL_VERSIONS } from '@modelcontextprotocol/sdk/types.js';
import type { FailureMode } from '@tollgate/protocol';
import { isObject, type Json } from '../formats/wire';
import { MCP_ERRORS, McpError, isResponseTo, type JsonRpcRequest } from './jsonrpc';
import type { NamedServer } from './names';
import type { UpstreamSession } from './session';
import { McpUpstreamError, type McpRegistry, type McpUpstreams } from './upstream';

export const GATEWAY_INFO = { name: 'tollgate', version: '0.1.0' };

/** The client's version when this gateway speaks it, else the latest it speaks (the client decides). */
export function negotiateVersion(requested: unknown): string {
  return typeof requested === 'string' && SUPPORTED_PROTOCOL_VERSIONS.includes(requested)
    ? requested
    : LATEST_PROTOCOL_VERSION;
}

interface ServerHello {
  named: NamedServer;
  /** Of transport SSE: the session must carry the client's parameters. */
  legacy: boolean;
  session: UpstreamSession;
  capabilities: Json;
  instructions: string | undefined;
}

export interface Initialized {
  result: Json;
  servers: UpstreamSession[];
  /** The client's parameters to seal in the session, when a server that answered is of transport SSE. */
  clientInit?: Json;
}

/**
 * Initializes every server of the consumer with the client's own request (version negotiated by
 * the gateway) and merges
 * their answers into one: capabilities united, instructions joined under each server's prefix. A
 * server that cannot be reached is left out (FailOpen) or fails the initialize (FailClosed); none
 * reachable fails it either way.
 */
export async function initializeAll(
  req: JsonRpcRequest,
  servers: readonly { named: NamedServer; registry: McpRegistry | undefined }[],
  onServerDown: FailureMode,
  upstreams: McpUpstreams,
  signal: AbortSignal,
  /** The Gateway's idle timeout: how long a connection to an SSE server is kept unused. */
  idleMs?: number,
): Promise<Initialized> {
  const protocolVersion = negotiateVersion(req.params.protocolVersion);
  // The client's capabilities pass as they are: requests a server makes while answering one of the
  // client's (sampling, elicitation, roots) are relayed on that answer's stream.
  const params = { ...req.params, protocolVersion };
  const outcomes = await Promise.all(
    servers.map(async ({ named, registry }): Promise<ServerHello | Error> => {
      if (!registry)
        return new Error(`MCP server '${named.prefix || named.registry}' is not configured on this proxy`);
      try {
        const reply = await upstreams.post(
          registry,
          { jsonrpc: '2.0', id: req.id, method: 'initialize', params },
          { idleMs },
          signal,
        );
        let final: Json | undefined;
        for await (const m of reply.messages) if (isResponseTo(m, req.id)) final = m;
        if (!final || !isObject(final.result)) {
          const why = isObject(final?.error) ? String(final.error.message) : 'no answer';
          return new Error(`MCP server '${named.prefix || named.registry}' refused initialize: ${why}`);
        }
        const r = final.result;
        return {
          named,
          legacy: registry.mcp.transport === 'SSE',
          session: {
            registry: named.registry,
            protocolVersion: typeof r.protocolVersion === 'string' ? r.protocolVersion : protocolVersion,
            ...(reply.sessionId !== undefined ? { sessionId: reply.sessionId } : {}),
          },
          capabilities: isObject(r.capabilities) ? r.capabilities : {},
          instructions: typeof r.instructions === 'string' ? r.instructions : undefined,
        };
      } catch (err) {
        return err instanceof McpUpstreamError ? err : new Error(String(err));
      }
    }),
  );
  const up = outcomes.filter((o): o is ServerHello => !(o instanceof Error));
  const down = outcomes.filter((o): o is Error => o instanceof Error);
  if ((onServerDown === 'FailClosed' && down.length > 0) || (up.length === 0 && down.length > 0)) {
    throw new McpError(MCP_ERRORS.ServerUnavailable, down.map((e) => e.message).join('; '));
  }
  const instructions = up
    .filter((h) => h.instructions)
    .map((h) => (h.named.prefix ? `[${h.named.prefix}] ${h.instructions}` : (h.instructions as string)));
  return {
    servers: up.map((h) => h.session),
    ...(up.some((h) => h.legacy) ? { clientInit: replayableInit(req.params) } : {}),
    result: {
      protocolVersion,
      capabilities: mergeCapabilities(up.map((h) => h.capabilities)),
      serverInfo: GATEWAY_INFO,
      ...(instructions.length > 0 ? { instructions: instructions.join('\n\n') } : {}),
    },
  };
}

/** What the gateway serves of what its servers offer. */
export function mergeCapabilities(all: readonly Json[]): Json {
  const out: Json = {};
  const has = (key: string) => all.some((c) => isObject(c[key]));
  const flag = (key: string, sub: string) => all.some((c) => isObject(c[key]) && c[key][sub] === true);
  if (has('tools')) out.tools = { listChanged: flag('tools', 'listChanged') };
  if (has('prompts')) out.prompts = { listChanged: flag('prompts', 'listChanged') };
  if (has('resources'))
    out.resources = {
      subscribe: flag('resources', 'subscribe'),
      listChanged: flag('resources', 'listChanged'),
    };
  if (has('logging')) out.logging = {};
  if (has('completions')) out.completions = {};
  return out;
}

/** Longest client parameters sealed as they are; longer ones keep only the capability names. */
const MAX_CLIENT_INIT_CHARS = 2048;

/**
 * What of the client's initialize a replica needs to initialize an SSE server again on its behalf:
 * its capabilities and its name and version, bounded (the session token travels on every request).
 */
export function replayableInit(params: Json): Json {
  const capabilities = isObject(params.capabilities) ? params.capabilities : {};
  const info = isObject(params.clientInfo) ? params.clientInfo : {};
  const text = (v: unknown, fallback: string) => (typeof v === 'string' ? v.slice(0, 200) : fallback);
  const clientInfo = { name: text(info.name, 'client'), version: text(info.version, '0') };
  const full = { capabilities, clientInfo };
  if (JSON.stringify(full).length <= MAX_CLIENT_INIT_CHARS) return full;
  return { capabilities: Object.fromEntries(Object.keys(capabilities).map((k) => [k, {}])), clientInfo };
}
