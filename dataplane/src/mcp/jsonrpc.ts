import { ErrorCode } from '@modelcontextprotocol/sdk/types.js';
import type { Json } from '../formats/wire';

/** JSON-RPC error codes the gateway answers with, besides the standard ones in ErrorCode. */
export const MCP_ERRORS = {
  ...ErrorCode,
  /** A server of the consumer cannot be reached, failed or timed out. */
  ServerUnavailable: -32002,
  /** The tool needs a human approval, which was not given (denied, timed out, or none possible). */
  ApprovalRequired: -32003,
  /** A rateLimit Policy refused the tool call; the message says when to retry (and `data.retryAfterSeconds`). */
  RateLimited: -32004,
  /** A promptGuard Policy refused a tool call's arguments or result. */
  Blocked: -32005,
} as const;

export type RequestId = string | number;

export interface JsonRpcRequest {
  id: RequestId;
  method: string;
  params: Json;
}

/** An error the gateway answers with in JSON-RPC form: never an HTTP 500. */
export class McpError extends Error {
  constructor(
    readonly code: number,
    message: string,
    /** HTTP status when the error is about the transport (session, headers), not the request. */
    readonly httpStatus = 200,
    /** JSON-RPC `error.data`, when the error carries details a client can act on. */
    readonly data?: Json,
  ) {
    super(message);
    this.name = 'McpError';
  }
}

export function errorMessage(id: RequestId | null, code: number, message: string, data?: Json): Json {
  return { jsonrpc: '2.0', id, error: data === undefined ? { code, message } : { code, message, data } };
}

export function resultMessage(id: RequestId, result: Json): Json {
  return { jsonrpc: '2.0', id, result };
}

/** The final answer to request `id` among a server's messages (a response, not a request or notification). */
export function isResponseTo(m: Json, id: RequestId): boolean {
  return m.id === id && m.method === undefined && ('result' in m || 'error' in m);
}

/**
 * One SSE event carrying `message`; with `id`, the event's id (resumable streams); with `retry`, the
 * reconnection delay the client is asked to use (ms); without a message, a priming event.
 */
export function sseFrame(message: Json | undefined, id?: string, retry?: number): string {
  const head = `${id !== undefined ? `id: ${id}\n` : ''}${retry !== undefined ? `retry: ${retry}\n` : ''}`;
  return message === undefined
    ? `${head}data: \n\n`
    : `${head}event: message\ndata: ${JSON.stringify(message)}\n\n`;
}

/**
 * One event of a stream relayed to the client (a GET stream, or a request's answer): the server it
 * came from, its message mapped for the client (none: an event that only moves the server's place,
 * e.g. a priming event), the server's own SSE id of it (when it gave one; '' resets it), and the
 * `retry` the server asked for.
 */
export interface StreamEvent {
  /** The server's Registry resource name. */
  registry: string;
  id?: string;
  retry?: number;
  message?: Json;
}

/** What the endpoint answers: one message, or a stream of notifications ending in the response. */
export type MuxAnswer =
  { kind: 'message'; message: Json } | { kind: 'stream'; events: AsyncIterable<StreamEvent> };
