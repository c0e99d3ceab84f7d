import type { RuntimeConsumer, RuntimeGateway } from '../config/snapshot';
import type { ChatRequest, ChatResponse, StreamEvent, Usage } from '../formats/ir';
import type { Operation } from '../providers/types';

/**
 * The stages a plugin can act at, in the order a request meets them:
 *
 * - `preRequest`: the caller is authenticated and the body parsed and checked; nothing is routed yet.
 *   Limits, size checks, guards and cache lookups live here. May reject.
 * - `postRequest`: the route, target and upstream model are chosen; the upstream is not called yet.
 *   May reject.
 * - `preResponse`: the upstream answered (status and headers); the client has seen nothing. May reject.
 * - `postResponse`: the response is complete (streams included). Off the critical path: it cannot
 *   change the response, and its failures are logged, never sent.
 *
 * Before all of them, the `edge` hook runs for every request once the gateway and consumer are known,
 * before authentication: it may answer the request itself (a CORS preflight) and add headers that
 * every response carries, errors included.
 */
export const STAGES = ['preRequest', 'postRequest', 'preResponse', 'postResponse'] as const;
export type Stage = (typeof STAGES)[number];

export interface EdgeRequest {
  readonly method: string;
  /** Lower-case name. */
  header(name: string): string | undefined;
  /** Headers every response to this request carries, errors included (CORS, rate-limit state). */
  readonly responseHeaders: Record<string, string>;
}

/** An answer given at the edge, without authentication (e.g. a preflight's 204). */
export interface EdgeAnswer {
  status: number;
  headers: Record<string, string>;
}

/** What a stage hook sees. The pipeline fills in `upstream` and `response` as the request gets there. */
export interface PolicyRequest extends EdgeRequest {
  readonly requestId: string;
  readonly operation: Operation;
  readonly gateway: RuntimeGateway;
  readonly consumer: RuntimeConsumer;
  /** The TCP peer's address (never a header a client could forge); undefined off a socket. */
  readonly clientIp: string | undefined;
  /** SHA-256 hex digest of the caller's API key; the key itself is never available to plugins. */
  readonly apiKeyHash: string;
  /** The parsed request body; undefined for GET /v1/models. Never mutated: see `setBody`. */
  readonly body: Readonly<Record<string, unknown>> | undefined;
  /**
   * preRequest only: replaces the body sent upstream (a masked prompt, a downgraded `model`). The
   * proxy re-reads `model` and `stream` from it and routes by the new model; the caller's bytes are
   * no longer relayed as they are.
   */
  setBody(body: Record<string, unknown>): void;
  /**
   * The chat request in the neutral model (decoded from the caller's format on first use, then
   * cached); undefined for embeddings and model lists, and for a body the codec cannot decode.
   */
  chat(): ChatRequest | undefined;
  /** Set from postRequest on. */
  upstream?: { readonly registry: string; readonly model: string };
  /** Set from preResponse on; `cached` when a plugin answered instead of the upstream. */
  response?: { readonly status: number; readonly stream: boolean; readonly cached?: boolean };
  /** The tokens the upstream reported, set by postResponse when it reported any (streams included). */
  usage?: Usage;
  /**
   * The whole successful chat response (streams assembled from their events), set for postResponse
   * when a plugin of the pipeline declares `needsResponseContent`.
   */
  responseContent?: ChatResponse;
}

/**
 * An answer a preRequest hook gives instead of the upstream (a cache hit): the proxy renders it in
 * the caller's format, as a stream when the caller asked for one.
 */
export interface PolicyAnswer {
  readonly response: ChatResponse;
  /** Extra response headers, e.g. `x-tollgate-cache: hit`. */
  readonly headers?: Readonly<Record<string, string>>;
}

/** A hook rejects the request by throwing a GatewayError; anything else thrown is a 500. */
export type Hook = (req: PolicyRequest) => void | Promise<void>;

/** A preRequest hook may answer the request itself; the first answer (in plugin order) wins. */
export type PreRequestHook = (req: PolicyRequest) => void | PolicyAnswer | Promise<void | PolicyAnswer>;

/**
 * Sees a whole, successful, non-streamed chat response before the client does: returns a
 * replacement to change it (re-encoded in the caller's format), throws a GatewayError to refuse it.
 */
export type ResponseHook = (
  req: PolicyRequest,
  res: ChatResponse,
) => void | ChatResponse | Promise<void | ChatResponse>;

/**
 * Rewrites a successful streamed chat response event by event, before the client sees it: it may
 * hold events back and release them later (or at `end`), change them, or throw a GatewayError,
 * which ends the stream with an error event in the caller's format. One per response.
 */
export interface StreamFilter {
  push(event: StreamEvent): StreamEvent[];
  /** The upstream stream ended: whatever is still held back. */
  end(): StreamEvent[];
}

/** A plugin instance: built once per config snapshot from its compiled config, shared by requests. */
export interface Plugin {
  readonly name: string;
  edge?(req: EdgeRequest): EdgeAnswer | undefined;
  readonly preRequest?: PreRequestHook;
  readonly postRequest?: Hook;
  readonly preResponse?: Hook;
  readonly postResponse?: Hook;
  /** Declaring it makes the proxy decode non-streamed chat responses it would otherwise relay. */
  readonly inspectResponse?: ResponseHook;
  /**
   * A filter for one streamed chat response (undefined: leave it be). Declaring it makes the proxy
   * decode streams it would relay as they are, and encode the filtered events in the caller's format.
   */
  readonly filterStream?: (req: PolicyRequest) => StreamFilter | undefined;
  /** The proxy assembles `responseContent` for this plugin's postResponse (costs a decode). */
  readonly needsResponseContent?: boolean;
}
