import type { CompiledRateLimit, CompiledRegistry } from '@tollgate/protocol';
import type { ConfigStore } from '../config/store';
import { GatewayError, errors } from '../errors/errors';
import type { PolicyEngine } from '../policies/engine';
import type { RateLimiter } from '../policies/rate-limit/limiter';
import type { RateLimited } from '../policies/rate-limit/plugin';
import type { Exchange } from '../proxy/exchange';
import { scrubberFor } from '../proxy/scrub';
import type { Logger } from '../telemetry/logger';
import { rewriteCard } from './card';
import { agentRefused, agentUnreachable, invalidAgentResponse, relay, scrubbedEvents } from './failures';
import { gatewayRpcError, type RpcId, type RpcRequest } from './jsonrpc';
import type { a2aMetrics } from './metrics';
import { readWhole } from '../providers/body';
import type { AgentClient, AgentResponse } from './upstream';

/** One request to an A2A agent in flight (see ./handler): what its steps share, and its answers. */

export const JSON_TYPE = 'application/json';

/** What the handler's steps share: its dependencies and the rate-limit gates it built. */
export interface Env {
  store: ConfigStore;
  logger: Logger;
  metrics: ReturnType<typeof a2aMetrics>;
  limiter: RateLimiter;
  client: AgentClient;
  policies: PolicyEngine | undefined;
  gates: WeakMap<CompiledRateLimit, (req: RateLimited) => Promise<void>>;
}

/** What the access log and metrics say about one request. */
export interface Outcome {
  requestId: string;
  gateway: string;
  consumer: string;
  agent: string;
  method: string;
  status: number;
  result: string;
}

/** One request in flight. */
export interface A2ARequest {
  x: Exchange;
  start: number;
  o: Outcome;
  /** Headers every answer carries (CORS, rate limit). */
  extra: Record<string, string>;
  /** The JSON-RPC id an error answers, once known. */
  id: RpcId;
  abort: AbortController;
  deadline: NodeJS.Timeout | undefined;
  /** A relayed stream clears the deadline when it ends, not when the handler returns. */
  streaming: boolean;
}

/** A JSON-RPC request read from the body: checked, and its bytes to relay as they came. */
export interface RpcCall {
  rpc: RpcRequest;
  raw: Buffer;
}

export function finish(env: Env, r: A2ARequest): void {
  const { o } = r;
  const seconds = (performance.now() - r.start) / 1000;
  env.metrics.observe(o.gateway, o.consumer, o.agent, o.method, o.result, seconds);
  env.logger.info(
    {
      requestId: o.requestId,
      a2a: true,
      gateway: o.gateway,
      consumer: o.consumer,
      agent: o.agent,
      method: o.method,
      status: o.status,
      result: o.result,
      durationMs: Math.round(seconds * 1e4) / 10,
    },
    'a2a request',
  );
}

/** GET of the agent card: the agent's, pointed at the gateway. */
export async function answerCard(
  env: Env,
  r: A2ARequest,
  registry: CompiledRegistry,
  selfUrl: () => string,
): Promise<void> {
  const { x, o } = r;
  const card = await env.client.card(registry, (n) => x.header(n), o.requestId, r.abort.signal);
  if (card.status !== 200) throw agentRefused(registry, card.status, 'its agent card');
  const rewritten = rewriteCard(parseJson(card.body), selfUrl());
  if (!rewritten.ok) throw invalidAgentResponse(registry, rewritten.reason);
  o.status = 200;
  o.result = 'ok';
  finish(env, r);
  return x.respond(
    200,
    { 'content-type': JSON_TYPE, 'cache-control': 'no-cache', ...r.extra, 'x-request-id': o.requestId },
    scrubberFor([registry])?.text(JSON.stringify(rewritten.card)) ?? JSON.stringify(rewritten.card),
  );
}

/** POST: the request relayed to the agent, its answer relayed back as a stream or as one body. */
export async function relayRpc(
  env: Env,
  r: A2ARequest,
  registry: CompiledRegistry,
  call: RpcCall,
  selfUrl: () => string,
): Promise<void> {
  const { x, o } = r;
  const res = await env.client.rpc(registry, call.raw, (n) => x.header(n), o.requestId, r.abort.signal);
  if (res.status === 401 || res.status === 403) {
    void readWhole(res.body).catch(() => undefined);
    throw agentRefused(registry, res.status, 'the registry credentials');
  }
  const headers: Record<string, string> = { ...r.extra, 'x-request-id': o.requestId };
  if (res.contentType.toLowerCase().startsWith('text/event-stream'))
    return relayStream(env, r, registry, res, headers);
  const body = await readWhole(res.body).catch((err: unknown) => {
    throw agentUnreachable(registry, err, r.abort.signal);
  });
  const answer = parseJson(body);
  if (!isObject(answer) || answer.jsonrpc !== '2.0') {
    throw invalidAgentResponse(registry, `HTTP ${res.status}, ${res.contentType || 'no content type'}`);
  }
  let out: Buffer = body;
  if (call.rpc.returnsCard && isObject(answer.result)) {
    const rewritten = rewriteCard(answer.result, selfUrl());
    if (!rewritten.ok) throw invalidAgentResponse(registry, rewritten.reason);
    out = Buffer.from(JSON.stringify({ ...answer, result: rewritten.card }));
  }
  // An agent that echoes the credential it was sent must not hand it to the caller.
  out = scrubberFor([registry])?.bytes(out) ?? out;
  // The agent's own JSON-RPC answer goes back as it is; its crash (5xx) is the gateway's 502.
  o.status = res.status >= 500 ? 502 : res.status;
  o.result = 'error' in answer ? 'error' : 'ok';
  finish(env, r);
  return x.respond(o.status, { ...headers, 'content-type': JSON_TYPE }, out);
}

/** An SSE answer relayed event by event; the deadline and the log wait for its end. */
function relayStream(
  env: Env,
  r: A2ARequest,
  registry: CompiledRegistry,
  res: AgentResponse,
  headers: Record<string, string>,
): void {
  const { o } = r;
  o.status = res.status;
  o.result = 'ok';
  headers['content-type'] = 'text/event-stream; charset=utf-8';
  headers['cache-control'] = 'no-cache';
  const scrub = scrubberFor([registry]);
  const source = scrub ? scrubbedEvents(res.body, scrub) : res.body;
  const events = relay(source, r.id, registry, r.abort.signal, (e) => {
    o.result = e.code;
  });
  r.streaming = true;
  const timer = r.deadline;
  return r.x.respondStream(res.status, headers, events, () => {
    clearTimeout(timer);
    if (r.abort.signal.aborted && o.result === 'ok') o.result = 'client_closed';
    finish(env, r);
  });
}

/** A refusal as a JSON-RPC error with the gateway's status; an unexpected error is logged, a 500. */
export function answerError(env: Env, r: A2ARequest, err: unknown): void {
  const { o } = r;
  let e: GatewayError;
  if (err instanceof GatewayError) e = err;
  else {
    env.logger.error({ err }, 'unexpected error in the A2A endpoint');
    e = errors.internal();
  }
  o.status = e.status;
  o.result = e.code;
  finish(env, r);
  return r.x.respond(
    e.status,
    { 'content-type': JSON_TYPE, ...r.extra, ...e.headers, 'x-request-id': o.requestId },
    JSON.stringify(gatewayRpcError(r.id, e)),
  );
}

export function parseJson(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    return undefined;
  }
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
