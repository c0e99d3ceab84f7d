import { randomUUID } from 'node:crypto';
import { resourceKey, type CompiledRateLimit, type CompiledRegistry } from '../../../protocol/src';
import type { RuntimeConsumer } from '../config/snapshot';
import type { ConfigStore } from '../config/store';
import type { PolicyEngine } from '../policies/engine';
import { RateLimiter } from '../policies/rate-limit/limiter';
import { rateLimitGate, type RateLimited } from '../policies/rate-limit/plugin';
import { readBody } from '../proxy/body';
import { scrubberFor } from '../proxy/scrub';
import { GatewayError, errors } from '../errors/errors';
import type { Exchange } from '../proxy/exchange';
import { authenticate, findConsumer, findGateway, presentedKey } from '../proxy/resolve';
import type { Logger } from '../telemetry/logger';
import type { ProxyMetrics } from '../telemetry/metrics';
import { gatewayUrlOf, rewriteCard } from './card';
import { checkRpcRequest, gatewayRpcError, type RpcId, type RpcRequest } from './jsonrpc';
import { a2aMetrics } from './metrics';
import { agentRefused, agentUnreachable, invalidAgentResponse, relay, scrubbedEvents } from './failures';
import { AgentClient, collect } from './upstream';

/**
 * `/{consumer}/a2a/{agent}` on the proxy port: an A2A agent behind the gateway.
 *
 * - `GET …/.well-known/agent-card.json` (and the older `agent.json`): the agent's card, fetched
 *   with the registry's credential, cached briefly, its JSON-RPC URL pointed at the gateway and its
 *   security schemes replaced by the gateway's (see card.ts).
 * - `POST …`: one JSON-RPC request relayed to the agent as it came (any method; streaming ones
 *   answered as SSE, relayed event by event as they arrive), with the registry's credential; the
 *   caller's key is never sent on.
 *
 * Same gateway discovery and API keys as LLM traffic, then the consumer's rateLimit and its body
 * limit (requestSize.maxBodyBytes); its cors policy answers preflights (`OPTIONS`, before
 * authentication) and adds its headers to every answer. Every refusal is a JSON-RPC error object with the HTTP status
 * the gateway would give an LLM request (401, 403, 404, 413, 429, 502, 504), never a 500; `data.type`
 * carries the gateway's error code. An agent the consumer does not list is a 404, as an unknown one.
 */
export interface A2AHandlerDeps {
  store: ConfigStore;
  metrics: ProxyMetrics;
  logger: Logger;
  /** The rate limiter the consumer's rateLimit plugin counts with (shared with LLM requests). */
  limiter?: RateLimiter;
  /** The consumers' pipelines: their edge hooks (CORS) answer preflights and add headers. */
  policies?: PolicyEngine;
  client?: AgentClient;
}

export type A2AHandler = (x: Exchange, path: string) => Promise<void>;

const CARD_PATHS = new Set(['/.well-known/agent-card.json', '/.well-known/agent.json']);
const JSON_TYPE = 'application/json';
const REQUEST_ID = /^[\w.:@/+=-]{1,128}$/;

/** `/{consumer}/a2a/{agent}{rest}`, or undefined when the path is not an A2A one. */
export function a2aPath(path: string): { consumer: string; agent: string; rest: string } | undefined {
  const m = /^\/([^/]+)\/a2a\/([^/]+)(\/.*)?$/.exec(path);
  if (!m) return undefined;
  return { consumer: m[1] as string, agent: m[2] as string, rest: m[3] ?? '' };
}

export function createA2AHandler(deps: A2AHandlerDeps): A2AHandler {
  const { store, logger } = deps;
  const metrics = a2aMetrics(deps.metrics.registry);
  const limiter = deps.limiter ?? new RateLimiter();
  const client = deps.client ?? new AgentClient();
  const gates = new WeakMap<CompiledRateLimit, (req: RateLimited) => Promise<void>>();

  /** What the access log and metrics say about one request. */
  interface Outcome {
    requestId: string;
    gateway: string;
    consumer: string;
    agent: string;
    method: string;
    status: number;
    result: string;
  }

  function finish(o: Outcome, start: number): void {
    const seconds = (performance.now() - start) / 1000;
    metrics.observe(o.gateway, o.consumer, o.agent, o.method, o.result, seconds);
    logger.info(
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

  return async function handle(x: Exchange, path: string): Promise<void> {
    const start = performance.now();
    const incoming = x.header('x-request-id');
    const o: Outcome = {
      requestId: incoming && REQUEST_ID.test(incoming) ? incoming : randomUUID(),
      gateway: '',
      consumer: '',
      agent: '',
      method: '',
      status: 0,
      result: '',
    };
    const extra: Record<string, string> = {};
    let id: RpcId = null;
    const abort = new AbortController();
    x.onClientGone(() => abort.abort());
    let deadline: NodeJS.Timeout | undefined;
    /** A relayed stream clears the deadline when it ends, not when this returns. */
    let streaming = false;
    try {
      const parts = a2aPath(path);
      if (!parts) throw errors.unknownEndpoint(x.method, path);
      const isCard = CARD_PATHS.has(parts.rest);
      o.method = isCard ? 'card' : 'other';
      if (!isCard && parts.rest !== '' && parts.rest !== '/') throw errors.unknownEndpoint(x.method, path);
      const wanted = isCard ? 'GET' : 'POST';
      if (x.method !== wanted && x.method !== 'OPTIONS') throw errors.methodNotAllowed(x.method, path);

      const snapshot = store.current;
      const gateway = findGateway(snapshot, x.header('x-ag-gateway-slug'), x.header('host'));
      o.gateway = gateway.config.slug;
      const consumer = findConsumer(gateway, parts.consumer);
      o.consumer = consumer.config.slug;
      // CORS, as for LLM requests: a preflight is answered before authentication (it has no key).
      const edge = { method: x.method, header: (n: string) => x.header(n), responseHeaders: extra };
      const preflight = deps.policies?.pipelineFor(consumer.plugins).edge(edge);
      if (x.method === 'OPTIONS') {
        if (!preflight) throw errors.methodNotAllowed(x.method, path);
        o.status = preflight.status;
        o.result = 'preflight';
        finish(o, start);
        return x.respond(
          preflight.status,
          { ...extra, ...preflight.headers, 'x-request-id': o.requestId },
          '',
        );
      }
      const keyDigest = authenticate(consumer, presentedKey(x));
      // The request is read before the agent is looked up, so that every answer carries its id.
      let rpc: RpcRequest | undefined;
      let raw: Buffer = Buffer.alloc(0);
      if (!isCard) {
        const contentType = x.header('content-type');
        if (contentType && !contentType.toLowerCase().includes('json')) {
          throw new GatewayError(
            415,
            'unsupported_media_type',
            'A JSON-RPC request must be JSON (Content-Type: application/json).',
          );
        }
        raw = await readBody(x.body, x.header('content-length'), consumer.maxRequestBodyBytes);
        const check = checkRpcRequest(parseJsonOrThrow(raw));
        if (!check.ok) {
          id = check.error.id;
          throw new GatewayError(
            400,
            'invalid_request',
            check.error.error.message,
            {},
            String(check.error.error.code),
          );
        }
        rpc = check.request;
        id = rpc.id;
        o.method = rpc.label;
      }
      const registry = agentOf(consumer, parts.agent, (name) =>
        snapshot.resources.get(resourceKey({ kind: 'Registry', name })),
      );
      o.agent = parts.agent;
      const rateLimit = consumer.plugins.byName.rateLimit;
      if (rateLimit) {
        let gate = gates.get(rateLimit.config);
        if (!gate) {
          gate = rateLimitGate(rateLimit.config, rateLimit.policy, limiter);
          gates.set(rateLimit.config, gate);
        }
        await gate({
          gateway,
          consumer,
          apiKeyHash: keyDigest.toString('hex'),
          clientIp: x.remoteAddress,
          header: (n) => x.header(n),
          responseHeaders: extra,
        });
      }
      deadline = setTimeout(() => abort.abort(), gateway.config.limits.requestTimeoutMs);
      const selfUrl = () => gatewayUrlOf((n) => x.header(n), undefined, parts.consumer, parts.agent);

      if (!rpc) {
        const card = await client.card(registry, (n) => x.header(n), o.requestId, abort.signal);
        if (card.status !== 200) throw agentRefused(registry, card.status, 'its agent card');
        const rewritten = rewriteCard(parseJson(card.body), selfUrl());
        if (!rewritten.ok) throw invalidAgentResponse(registry, rewritten.reason);
        o.status = 200;
        o.result = 'ok';
        finish(o, start);
        return x.respond(
          200,
          { 'content-type': JSON_TYPE, 'cache-control': 'no-cache', ...extra, 'x-request-id': o.requestId },
          scrubberFor([registry])?.text(JSON.stringify(rewritten.card)) ?? JSON.stringify(rewritten.card),
        );
      }

      const res = await client.rpc(registry, raw, (n) => x.header(n), o.requestId, abort.signal);
      if (res.status === 401 || res.status === 403) {
        void collect(res.body).catch(() => undefined);
        throw agentRefused(registry, res.status, 'the registry credentials');
      }
      const headers: Record<string, string> = { ...extra, 'x-request-id': o.requestId };
      if (res.contentType.toLowerCase().startsWith('text/event-stream')) {
        o.status = res.status;
        o.result = 'ok';
        headers['content-type'] = 'text/event-stream; charset=utf-8';
        headers['cache-control'] = 'no-cache';
        const scrub = scrubberFor([registry]);
        const source = scrub ? scrubbedEvents(res.body, scrub) : res.body;
        const events = relay(source, id, registry, abort.signal, (e) => {
          o.result = e.code;
        });
        streaming = true;
        const timer = deadline;
        return x.respondStream(res.status, headers, events, () => {
          clearTimeout(timer);
          if (abort.signal.aborted && o.result === 'ok') o.result = 'client_closed';
          finish(o, start);
        });
      }
      const body = await collect(res.body).catch((err: unknown) => {
        throw agentUnreachable(registry, err, abort.signal);
      });
      const answer = parseJson(body);
      if (!isObject(answer) || answer.jsonrpc !== '2.0') {
        throw invalidAgentResponse(registry, `HTTP ${res.status}, ${res.contentType || 'no content type'}`);
      }
      let out: Buffer = body;
      if (rpc.returnsCard && isObject(answer.result)) {
        const rewritten = rewriteCard(answer.result, selfUrl());
        if (!rewritten.ok) throw invalidAgentResponse(registry, rewritten.reason);
        out = Buffer.from(JSON.stringify({ ...answer, result: rewritten.card }));
      }
      // An agent that echoes the credential it was sent must not hand it to the caller.
      out = scrubberFor([registry])?.bytes(out) ?? out;
      // The agent's own JSON-RPC answer goes back as it is; its crash (5xx) is the gateway's 502.
      o.status = res.status >= 500 ? 502 : res.status;
      o.result = 'error' in answer ? 'error' : 'ok';
      finish(o, start);
      return x.respond(o.status, { ...headers, 'content-type': JSON_TYPE }, out);
    } catch (err) {
      const e = err instanceof GatewayError ? err : unexpected(err);
      o.status = e.status;
      o.result = e.code;
      finish(o, start);
      return x.respond(
        e.status,
        { 'content-type': JSON_TYPE, ...extra, ...e.headers, 'x-request-id': o.requestId },
        JSON.stringify(gatewayRpcError(id, e)),
      );
    } finally {
      if (!streaming) clearTimeout(deadline);
    }
  };

  function unexpected(err: unknown): GatewayError {
    logger.error({ err }, 'unexpected error in the A2A endpoint');
    return errors.internal();
  }
}

/**
 * The consumer's agent of that name, with its Registry; a 404 for a name the consumer does not
 * list (whether or not another consumer does) and a 503 when its Registry is not in this config.
 */
function agentOf(
  consumer: RuntimeConsumer,
  name: string,
  resource: (registry: string) => { kind: string; body: unknown } | undefined,
): CompiledRegistry {
  const agent = consumer.config.a2a?.agents.find((a) => a.name === name);
  if (!agent) {
    throw new GatewayError(
      404,
      'agent_not_found',
      `The agent '${name}' does not exist or consumer '${consumer.config.slug}' may not reach it.`,
    );
  }
  const r = resource(agent.registry);
  if (r?.kind !== 'Registry' || (r.body as CompiledRegistry).provider !== 'a2a') {
    throw new GatewayError(
      503,
      'agent_unavailable',
      `The agent '${name}' (Registry '${agent.registry}') is not available.`,
    );
  }
  return r.body as CompiledRegistry;
}

function parseJson(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    return undefined;
  }
}

function parseJsonOrThrow(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    throw new GatewayError(400, 'invalid_json', 'Parse error: the body is not valid JSON.');
  }
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
