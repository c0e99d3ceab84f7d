import type { GatewayError } from '../errors/errors';

/**
 * JSON-RPC 2.0 as A2A uses it, for the gateway's own answers: the envelope check, the error codes,
 * and the bounded method label of metrics. Both protocol generations pass through: v0.3's
 * `message/send`-style names and v1.0's `SendMessage`-style names.
 */

export type RpcId = string | number | null;

/** JSON-RPC's codes and A2A's own (-32001 to -32009). */
export const RPC_CODES = {
  parseError: -32700,
  invalidRequest: -32600,
  methodNotFound: -32601,
  invalidParams: -32602,
  internalError: -32603,
  /** Implementation-defined server error: the gateway refused or could not relay the request. */
  gatewayError: -32000,
  taskNotFound: -32001,
  taskNotCancelable: -32002,
  pushNotificationNotSupported: -32003,
  unsupportedOperation: -32004,
  contentTypeNotSupported: -32005,
  invalidAgentResponse: -32006,
} as const;

export interface RpcErrorBody {
  jsonrpc: '2.0';
  id: RpcId;
  error: { code: number; message: string; data?: Record<string, unknown> };
}

export function rpcError(
  id: RpcId,
  code: number,
  message: string,
  data?: Record<string, unknown>,
): RpcErrorBody {
  return { jsonrpc: '2.0', id, error: { code, message, ...(data ? { data } : {}) } };
}

/** A gateway refusal (auth, limits, unknown agent, dead upstream) as a JSON-RPC error; `type` names it. */
export function gatewayRpcError(id: RpcId, e: GatewayError): RpcErrorBody {
  // An envelope problem found by checkRpcRequest carries its JSON-RPC code as `param`.
  const given = e.code === 'invalid_request' && e.param !== undefined ? Number(e.param) : NaN;
  if (Number.isInteger(given)) return rpcError(id, given, e.message, { type: e.code, httpStatus: e.status });
  const code =
    e.code === 'invalid_json'
      ? RPC_CODES.parseError
      : e.code === 'invalid_agent_response'
        ? RPC_CODES.invalidAgentResponse
        : e.code === 'invalid_request'
          ? RPC_CODES.invalidRequest
          : RPC_CODES.gatewayError;
  return rpcError(id, code, e.message, { type: e.code, httpStatus: e.status });
}

/** Methods whose answer is an SSE stream of JSON-RPC responses. */
const STREAMING = new Set(['message/stream', 'tasks/resubscribe', 'SendStreamingMessage', 'SubscribeToTask']);

/** Methods answered with an agent card (their `result` is rewritten like the public card). */
const CARD_METHODS = new Set(['agent/getAuthenticatedExtendedCard', 'GetExtendedAgentCard']);

/** Every method A2A defines (v0.3 and v1.0): metrics label these, anything else is `other`. */
const KNOWN = new Set([
  ...STREAMING,
  ...CARD_METHODS,
  'message/send',
  'tasks/get',
  'tasks/list',
  'tasks/cancel',
  'tasks/pushNotificationConfig/set',
  'tasks/pushNotificationConfig/get',
  'tasks/pushNotificationConfig/list',
  'tasks/pushNotificationConfig/delete',
  'SendMessage',
  'GetTask',
  'ListTasks',
  'CancelTask',
  'CreateTaskPushNotificationConfig',
  'GetTaskPushNotificationConfig',
  'ListTaskPushNotificationConfigs',
  'DeleteTaskPushNotificationConfig',
]);

export interface RpcRequest {
  id: RpcId;
  method: string;
  /** Bounded: the method when A2A defines it, else `other`. */
  label: string;
  streaming: boolean;
  returnsCard: boolean;
}

export type RpcCheck = { ok: true; request: RpcRequest } | { ok: false; error: RpcErrorBody };

/** Checks a parsed body is one JSON-RPC 2.0 request (A2A sends no batches and no notifications). */
export function checkRpcRequest(body: unknown): RpcCheck {
  if (Array.isArray(body)) {
    return fail(
      null,
      RPC_CODES.invalidRequest,
      'JSON-RPC batches are not supported: send one request per POST.',
    );
  }
  if (typeof body !== 'object' || body === null) {
    return fail(null, RPC_CODES.invalidRequest, 'The body must be a JSON-RPC 2.0 request object.');
  }
  const r = body as Record<string, unknown>;
  const rawId = r.id;
  const id: RpcId = typeof rawId === 'string' || typeof rawId === 'number' ? rawId : null;
  if (r.jsonrpc !== '2.0') return fail(id, RPC_CODES.invalidRequest, '\'jsonrpc\' must be "2.0".');
  if (typeof r.method !== 'string' || r.method.length === 0) {
    return fail(id, RPC_CODES.invalidRequest, "'method' is required and must be a non-empty string.");
  }
  if (rawId === undefined || (rawId !== null && id === null)) {
    return fail(id, RPC_CODES.invalidRequest, "'id' is required and must be a string or a number.");
  }
  if (r.params !== undefined && (typeof r.params !== 'object' || r.params === null)) {
    return fail(id, RPC_CODES.invalidParams, "'params' must be an object.");
  }
  const method = r.method;
  return {
    ok: true,
    request: {
      id,
      method,
      label: KNOWN.has(method) ? method : 'other',
      streaming: STREAMING.has(method),
      returnsCard: CARD_METHODS.has(method),
    },
  };
}

function fail(id: RpcId, code: number, message: string): RpcCheck {
  return { ok: false, error: rpcError(id, code, message) };
}

/** An SSE event carrying one JSON-RPC response, as A2A streams frame them. */
export function sseEvent(body: unknown): string {
  return `data: ${JSON.stringify(body)}\n\n`;
}
