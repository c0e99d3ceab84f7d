import { JSONRPCMessageSchema } from '@modelcontextprotocol/sdk/types.js';
import { resourceKey, type CompiledConsumerMcp } from '@tollgate/protocol';
import type { RuntimeConsumer, RuntimeGateway, Snapshot } from '../config/snapshot';
import { isObject, type Json } from '../formats/wire';
import { GatewayError } from '../errors/errors';
import type { Exchange } from '../proxy/exchange';
import type { Logger } from '../telemetry/logger';
import { MCP_ERRORS, McpError, type JsonRpcRequest, type RequestId } from './jsonrpc';
import { SessionGone } from './forward';
import type { McpNames } from './names';
import { OAuthChallenge, type McpIdentity } from './oauth/resource-server';
import type { McpRegistry } from './upstream';

/** The pieces of ./endpoint that need none of its state. */

export const JSON_HEADERS = { 'content-type': 'application/json' };
export const SSE_HEADERS = { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' };

/** One request to `/{consumer}/mcp`, once its gateway, consumer and caller are known. */
export interface Call {
  x: Exchange;
  snapshot: Snapshot;
  gateway: RuntimeGateway;
  consumer: RuntimeConsumer;
  mcp: CompiledConsumerMcp;
  names: McpNames;
  identity: McpIdentity;
  signal: AbortSignal;
  line: Record<string, unknown>;
  /** The id of the request being answered, once known. */
  id: RequestId | null;
  /** Ends the request deadline (a call held for approval waits for its own timeout instead). */
  release: () => void;
  /** SHA-256 of the caller's key (rate-limit counters by APIKey). */
  keyHash: Buffer;
  /** Metric labels, filled in as the request is understood. */
  known: { gateway: string; consumer: string; server: string };
}

export function registryIn(snapshot: Snapshot, name: string): McpRegistry | undefined {
  const r = snapshot.resources.get(resourceKey({ kind: 'Registry', name }));
  return r?.kind === 'Registry' && r.body.provider === 'mcp' && r.body.mcp
    ? (r.body as McpRegistry)
    : undefined;
}

/**
 * Browsers send Origin; a page may only reach the endpoint from an origin the consumer's CORS
 * policy allows or from one of the gateway's own hostnames (DNS rebinding protection). Clients that
 * are not browsers send no Origin and are not affected.
 */
export function checkOrigin(x: Exchange, gateway: RuntimeGateway, consumer: RuntimeConsumer): void {
  const origin = x.header('origin');
  if (origin === undefined) return;
  const allowed = consumer.plugins.byName.cors?.config.allowOrigins ?? [];
  if (allowed.includes('*') || allowed.includes(origin.toLowerCase())) return;
  let host: string | undefined;
  try {
    host = new URL(origin).hostname.toLowerCase();
  } catch {
    host = undefined;
  }
  if (host !== undefined && gateway.config.hostnames.includes(host)) return;
  throw new McpError(MCP_ERRORS.InvalidRequest, `Forbidden: origin ${origin} is not allowed`, 403);
}

export function parseMessage(raw: Buffer): Json {
  let v: unknown;
  try {
    v = JSON.parse(raw.toString('utf8'));
  } catch {
    throw new McpError(MCP_ERRORS.ParseError, 'Parse error: the body is not JSON', 400);
  }
  if (Array.isArray(v))
    throw new McpError(
      MCP_ERRORS.InvalidRequest,
      'Invalid Request: batches are not supported; send one message per POST',
      400,
    );
  if (isPlainCall(v)) return v;
  if (!JSONRPCMessageSchema.safeParse(v).success || !isObject(v))
    throw new McpError(MCP_ERRORS.InvalidRequest, 'Invalid Request: not a JSON-RPC 2.0 message', 400);
  return v;
}

/**
 * The common request or notification, recognised without the SDK's schema (which accepts it too):
 * `jsonrpc` "2.0", a string method, an id (if any) that is a string or a safe integer, params (if
 * any) an object without `_meta`, and no other member. Anything else is left to the schema.
 */
function isPlainCall(v: unknown): v is Json {
  if (!isObject(v) || v.jsonrpc !== '2.0' || typeof v.method !== 'string') return false;
  for (const k in v) if (k !== 'jsonrpc' && k !== 'method' && k !== 'id' && k !== 'params') return false;
  const { id, params } = v;
  if (id !== undefined && typeof id !== 'string' && !Number.isSafeInteger(id)) return false;
  return params === undefined || (isObject(params) && !('_meta' in params));
}

export function asRequest(m: Json): JsonRpcRequest {
  return {
    id: m.id as JsonRpcRequest['id'],
    method: String(m.method),
    params: isObject(m.params) ? m.params : {},
  };
}

export function asMcpError(err: unknown, logger: Logger): McpError {
  if (err instanceof McpError) return err;
  if (err instanceof OAuthChallenge) return new McpError(MCP_ERRORS.InvalidRequest, err.message, err.status);
  // Discovery, credentials and body size: the LLM endpoints' statuses and messages, in JSON-RPC form.
  if (err instanceof GatewayError) return new McpError(MCP_ERRORS.InvalidRequest, err.message, err.status);
  if (err instanceof SessionGone) return new McpError(MCP_ERRORS.InvalidRequest, 'Session not found', 404);
  logger.error({ err }, 'mcp endpoint failed');
  return new McpError(MCP_ERRORS.InternalError, 'The gateway failed to handle this MCP message.', 502);
}
