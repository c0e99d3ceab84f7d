import { randomUUID } from 'node:crypto';
import type { CompiledRegistry } from '@tollgate/protocol';
import type {
  RuntimeConsumer,
  RuntimeGateway,
  RuntimeRoute,
  RuntimeTarget,
  Snapshot,
} from '../config/snapshot';
import { FORMATS } from '../formats';
import type { ChatRequest, ChatResponse, Usage } from '../formats/ir';
import type { Pipeline } from '../policies/pipeline';
import type { PolicyRequest } from '../policies/types';
import { CallAbort } from '../providers/abort';
import type { Operation, UpstreamResponse } from '../providers/types';
import type { Endpoint } from './endpoints';
import type { Exchange } from './exchange';
import { INBOUND_FORMAT, type Plan, type UpstreamBody } from './translate';

/** Why a request's controller was aborted. */
export const DEADLINE = Symbol('deadline');
export const SHUTDOWN = Symbol('shutdown');

/** Headers of a request whose consumer has no plugins: nothing ever writes to them. */
const NO_HEADERS: Record<string, string> = Object.freeze({}) as Record<string, string>;
const REQUEST_ID = /^[\w.:@/+=-]{1,128}$/;

/** One try's result, as dispatch hands it back: the response and what was sent to get it. */
export interface SentTry extends UpstreamResponse {
  /** How the body was made and the response is read; undefined for embeddings. */
  plan: Plan | undefined;
  prepared: UpstreamBody;
  /** The model name sent upstream. */
  model: string;
  /** The target that answered. */
  target: RuntimeTarget;
}

/**
 * Everything one request carries through admit → prepare → upstream → respond: what the access
 * log and metrics say about it, what the policy stages see of it (it is their `PolicyRequest`), and
 * what each stage learned for the next. One object per request, its fields set in place.
 */
export class RequestContext implements PolicyRequest {
  readonly requestId: string;
  readonly method: string;
  readonly start = performance.now();
  /** The config the request started with, held to its end. */
  readonly snapshot: Snapshot;
  /** What policies see; a token count is a `models` request to them. */
  operation: Operation;
  // — the access log —
  gatewaySlug = '';
  consumerSlug = '';
  registryName = '';
  /** The route's model. */
  model = '';
  upstreamModel = '';
  status = 0;
  upstreamMs: number | undefined = undefined;
  error: string | undefined = undefined;
  /** The raw code of an upstream failure (`ECONNRESET`, …): logged, never sent to the caller. */
  upstreamError: string | undefined = undefined;
  // — admit —
  gateway!: RuntimeGateway;
  consumer!: RuntimeConsumer;
  keyDigest: Buffer | undefined = undefined;
  /** The consumer's plugins; undefined when it has none. */
  pipeline: Pipeline | undefined = undefined;
  /** Headers the plugins add to every response from here on, errors included. */
  responseHeaders: Record<string, string> = NO_HEADERS;
  /** When the request's time budget ends (performance.now clock); the body read included. */
  deadlineAt = 0;
  // — prepare —
  raw: Buffer | undefined = undefined;
  body: Record<string, unknown> | undefined = undefined;
  /** A plugin replaced the body: the proxy re-reads model and stream and re-serialises it. */
  bodyReplaced = false;
  /** The model the caller asked for (after any plugin's rewrite). */
  requested = '';
  stream = false;
  route: RuntimeRoute | undefined = undefined;
  // — upstream —
  abort: CallAbort | undefined = undefined;
  timer: NodeJS.Timeout | undefined = undefined;
  clientGone = false;
  /** The registries this request reached: their credentials are scrubbed from what comes back. */
  readonly tried: CompiledRegistry[] = [];
  upstream?: { readonly registry: string; readonly model: string } = undefined;
  sent: SentTry | undefined = undefined;
  // — respond —
  response?: { readonly status: number; readonly stream: boolean; readonly cached?: boolean } = undefined;
  usage?: Usage = undefined;
  responseContent?: ChatResponse = undefined;
  private apiKeyHex: string | undefined = undefined;
  /** null: decoding failed (not retried). */
  private decoded: ChatRequest | null | undefined = undefined;

  constructor(
    readonly x: Exchange,
    readonly ep: Endpoint,
    readonly path: string,
    snapshot: Snapshot,
  ) {
    this.requestId = requestIdOf(x);
    this.method = x.method;
    this.snapshot = snapshot;
    this.operation = ep.op;
  }

  get clientIp(): string | undefined {
    return this.x.remoteAddress;
  }

  get apiKeyHash(): string {
    if (this.apiKeyHex === undefined) this.apiKeyHex = this.keyDigest?.toString('hex') ?? '';
    return this.apiKeyHex;
  }

  header(name: string): string | undefined {
    return this.x.header(name);
  }

  setBody(body: Record<string, unknown>): void {
    this.body = body;
    this.bodyReplaced = true;
    this.decoded = undefined;
  }

  chat(): ChatRequest | undefined {
    if (this.decoded !== undefined) return this.decoded ?? undefined;
    const format = INBOUND_FORMAT[this.operation];
    if (!format || !this.body) return undefined;
    try {
      this.decoded = FORMATS[format].decodeRequest(this.body);
    } catch {
      this.decoded = null;
    }
    return this.decoded ?? undefined;
  }

  /** Arms the request's abort: the client leaving, the deadline, or a shutdown (when in `live`). */
  arm(live?: Set<CallAbort>): CallAbort {
    const abort = new CallAbort();
    this.abort = abort;
    this.x.onClientGone(() => {
      this.clientGone = true;
      abort.abort();
    });
    this.timer = setTimeout(() => abort.abort(DEADLINE), Math.max(0, this.deadlineAt - performance.now()));
    live?.add(abort);
    return abort;
  }

  /** Stops the deadline timer and leaves `live`; safe to call more than once. */
  disarm(live?: Set<CallAbort>): void {
    clearTimeout(this.timer);
    if (this.abort) live?.delete(this.abort);
  }
}

export function requestIdOf(x: Exchange): string {
  const given = x.header('x-request-id');
  return given && REQUEST_ID.test(given) ? given : randomUUID();
}
