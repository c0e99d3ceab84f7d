import { errors as undiciErrors } from '../providers/undici';
import type { CompiledRegistry } from '@tollgate/protocol';
import { SseError } from './sse-connection';
import { StdioError } from './stdio';

/** How reaching an MCP server failed, whatever its transport (see ./upstream). */

export type UpstreamFailure = 'down' | 'timeout' | 'session-gone' | 'refused';

export class McpUpstreamError extends Error {
  constructor(
    readonly kind: UpstreamFailure,
    message: string,
  ) {
    super(message);
    this.name = 'McpUpstreamError';
  }
}

export function nameOf(registry: CompiledRegistry): string {
  return `MCP server '${registry.source.name}'`;
}

export function failureOf(err: unknown, registry: CompiledRegistry): McpUpstreamError {
  if (err instanceof McpUpstreamError) return err;
  if (err instanceof StdioError) return new McpUpstreamError(err.kind, err.message);
  // A server that forgot a connection it was using has dropped it: the next request opens another.
  if (err instanceof SseError)
    return new McpUpstreamError(err.kind === 'stale' ? 'down' : err.kind, err.message);
  if (
    err instanceof undiciErrors.HeadersTimeoutError ||
    err instanceof undiciErrors.BodyTimeoutError ||
    err instanceof undiciErrors.ConnectTimeoutError
  ) {
    return new McpUpstreamError('timeout', `${nameOf(registry)} did not answer in time`);
  }
  if (err instanceof Error && err.name === 'AbortError')
    return new McpUpstreamError('timeout', `${nameOf(registry)} did not answer in time`);
  const code = (err as { code?: unknown }).code;
  return new McpUpstreamError(
    'down',
    `${nameOf(registry)} is unreachable${typeof code === 'string' ? ` (${code})` : ''}`,
  );
}
