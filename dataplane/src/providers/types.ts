import type { CompiledProvider, CompiledRegistry } from '@tollgate/protocol';
import type { FormatName } from '../formats/ir';
import type { CallAbort } from './abort';
import type { UpstreamBody } from './body';

export type { UpstreamBody } from './body';

/** Which inbound API a call came in on. */
export type Operation = 'chat.completions' | 'messages' | 'responses' | 'embeddings' | 'models';

/** One call to one upstream, decided by routing and translation. */
export interface UpstreamCall {
  operation: Operation;
  registry: CompiledRegistry;
  /** Model name to send upstream. */
  model: string;
  /** The wire format of `body` (the upstream's); undefined for embeddings. */
  format?: FormatName;
  /** The body in the upstream's format (undefined for GET). */
  body: Record<string, unknown> | undefined;
  /** Bytes to send as they are (the native fast path); otherwise `body` is serialised. */
  rawBody: Uint8Array | undefined;
  stream: boolean;
  requestId: string;
  /** Caller headers the upstream should see on the native path (e.g. anthropic-version, anthropic-beta). */
  forwardHeaders?: Record<string, string>;
  /** Count the request's input tokens (the profile's `countTokens` endpoint) instead of answering it. */
  countTokens?: boolean;
  /** Fires when the caller leaves or the gateway's deadline passes. */
  signal: CallAbort;
}

/** What an adapter hands back: the upstream's status, the headers worth relaying, and the body. */
export interface UpstreamResponse {
  status: number;
  /** Lower-case header names. Only content-type, retry-after and provider request ids are relayed. */
  headers: Record<string, string>;
  /** Streamed body; consumed once. */
  body: UpstreamBody;
}

export interface ProviderAdapter {
  send(call: UpstreamCall): Promise<UpstreamResponse>;
  /**
   * Opens up to `connections` connections to the registry's origin ahead of its first request,
   * sending nothing (warm-up); resolves with how many opened. Absent: the adapter has none to open.
   */
  preconnect?(registry: CompiledRegistry, connections: number): Promise<number>;
  /** Release pooled connections. */
  close(): Promise<void>;
}

/** Raised by adapters for failures before a response exists; the pipeline maps `kind` to 502/504. */
export class UpstreamError extends Error {
  /** The library's or system's own code (`ECONNRESET`, `UND_ERR_SOCKET`, …): for logs, never for callers. */
  readonly code: string | undefined;
  constructor(
    readonly kind: 'connect' | 'timeout' | 'protocol',
    /** Words a caller may read: what failed and where. */
    message: string,
    options?: { cause?: unknown; code?: string },
  ) {
    super(message, options);
    this.name = 'UpstreamError';
    this.code = options?.code;
  }
}

/** The adapter serving each provider type (the HTTP adapter for all but `mock`). */
export type AdapterSet = Partial<Record<CompiledProvider, ProviderAdapter>>;
