import type { CompiledRegistry } from '../../../protocol/src';
import type { CallAbort } from './abort';

/** Which inbound API a call came in on. Later formats (messages, responses) join this list. */
export type Operation = 'chat.completions' | 'embeddings' | 'models';

/** One call to one upstream, decided by routing. */
export interface UpstreamCall {
  operation: Operation;
  registry: CompiledRegistry;
  /** Model name to send upstream. */
  model: string;
  /** The inbound JSON body, already parsed (undefined for GET). */
  body: Record<string, unknown> | undefined;
  /** The raw inbound bytes: sent as they are when `model` is unchanged (fast path). */
  rawBody: Uint8Array | undefined;
  stream: boolean;
  requestId: string;
  /** Fires when the caller leaves or the gateway's deadline passes. */
  signal: CallAbort;
}

/** What an adapter hands back: the upstream's status, the headers worth relaying, and the body. */
export interface UpstreamResponse {
  status: number;
  /** Lower-case header names. Only content-type and provider request ids are relayed. */
  headers: Record<string, string>;
  /** Streamed body; consumed once. */
  body: AsyncIterable<Uint8Array>;
}

export interface ProviderAdapter {
  send(call: UpstreamCall): Promise<UpstreamResponse>;
  /** Release pooled connections. */
  close(): Promise<void>;
}

/** Raised by adapters for failures before a response exists; the pipeline maps `kind` to 502/504. */
export class UpstreamError extends Error {
  constructor(
    readonly kind: 'connect' | 'timeout' | 'protocol',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'UpstreamError';
  }
}
