import type { CompiledRegistry } from '@tollgate/protocol';
import { isTimeoutError } from '../providers/http';
import { GatewayError } from '../errors/errors';
import type { Scrubber } from '../proxy/scrub';
import { gatewayRpcError, sseEvent, type RpcId } from './jsonrpc';

/** What goes wrong with an agent, in words a caller can act on: which agent, and what happened. */

/** A failed call to the agent, in words: which agent, and what went wrong (never a credential). */
export function agentUnreachable(
  registry: CompiledRegistry,
  err: unknown,
  signal?: AbortSignal,
): GatewayError {
  if (err instanceof GatewayError) return err;
  const name = `${registry.source.namespace}/${registry.source.name}`;
  if (signal?.aborted) {
    return new GatewayError(504, 'upstream_timeout', `The agent '${name}' did not answer in time.`);
  }
  if (isTimeoutError(err)) {
    return new GatewayError(
      504,
      'upstream_timeout',
      `The agent '${name}' did not answer in time (${err.message}).`,
    );
  }
  const code = (err as { code?: unknown } | null)?.code;
  const detail = typeof code === 'string' ? code : err instanceof Error ? err.message : String(err);
  return new GatewayError(502, 'upstream_error', `The agent '${name}' is unreachable: ${detail}.`);
}

/**
 * The agent's SSE body, chunk by chunk as it arrives. When it fails mid-stream (dead agent, idle
 * timeout), one more event carries a JSON-RPC error for the request, then the stream ends.
 */
export async function* relay(
  body: AsyncIterable<Uint8Array>,
  id: RpcId,
  registry: CompiledRegistry,
  signal: AbortSignal,
  onError: (e: GatewayError) => void,
): AsyncGenerator<Uint8Array> {
  let ended = true;
  try {
    for await (const chunk of body) {
      ended = chunk.byteLength > 0 && chunk[chunk.byteLength - 1] === 0x0a;
      yield chunk;
    }
  } catch (err) {
    const e = agentUnreachable(registry, err, signal);
    onError(e);
    const event = sseEvent(
      gatewayRpcError(id, new GatewayError(e.status, e.code, `${e.message} The stream ended early.`)),
    );
    yield Buffer.from(ended ? event : `\n\n${event}`);
  }
}

export function agentRefused(registry: CompiledRegistry, status: number, what: string): GatewayError {
  const name = `${registry.source.namespace}/${registry.source.name}`;
  if (status === 401 || status === 403) {
    return new GatewayError(502, 'upstream_error', `The agent '${name}' refused ${what} (HTTP ${status}).`);
  }
  return new GatewayError(
    502,
    'upstream_error',
    `The agent '${name}' failed to serve ${what} (HTTP ${status}).`,
  );
}

export function invalidAgentResponse(registry: CompiledRegistry, detail: string): GatewayError {
  const name = `${registry.source.namespace}/${registry.source.name}`;
  return new GatewayError(
    502,
    'invalid_agent_response',
    `The agent '${name}' sent an invalid response: ${detail}.`,
  );
}

/**
 * The agent's SSE body cut at event boundaries, each run of whole events scrubbed of the registry's
 * credentials (a credential split across two chunks is still found); still relayed as soon as an
 * event is complete.
 */
export async function* scrubbedEvents(
  body: AsyncIterable<Uint8Array>,
  scrub: Scrubber,
): AsyncGenerator<Uint8Array> {
  let pending = Buffer.alloc(0);
  for await (const chunk of body) {
    pending = pending.length === 0 ? Buffer.from(chunk) : Buffer.concat([pending, chunk]);
    const lf = pending.lastIndexOf('\n\n');
    const crlf = pending.lastIndexOf('\r\n\r\n');
    const end = Math.max(lf === -1 ? 0 : lf + 2, crlf === -1 ? 0 : crlf + 4);
    if (end === 0) continue;
    yield scrub.bytes(pending.subarray(0, end));
    pending = pending.subarray(end);
  }
  if (pending.length > 0) yield scrub.bytes(pending);
}
