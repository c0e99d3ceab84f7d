import type { RuntimeConsumer, RuntimeGateway } from '../config/snapshot';
import type { Usage } from '../formats/ir';
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
  /** The parsed request body; undefined for GET /v1/models. */
  readonly body: Readonly<Record<string, unknown>> | undefined;
  /** Set from postRequest on. */
  upstream?: { readonly registry: string; readonly model: string };
  /** Set from preResponse on. */
  response?: { readonly status: number; readonly stream: boolean };
  /** The tokens the upstream reported, set by postResponse when it reported any (streams included). */
  usage?: Usage;
}

/** A hook rejects the request by throwing a GatewayError; anything else thrown is a 500. */
export type Hook = (req: PolicyRequest) => void | Promise<void>;

/** A plugin instance: built once per config snapshot from its compiled config, shared by requests. */
export interface Plugin {
  readonly name: string;
  edge?(req: EdgeRequest): EdgeAnswer | undefined;
  readonly preRequest?: Hook;
  readonly postRequest?: Hook;
  readonly preResponse?: Hook;
  readonly postResponse?: Hook;
}
