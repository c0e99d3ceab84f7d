import { randomUUID } from 'node:crypto';
import { resourceKey, type CompiledRegistry } from '@tollgate/protocol';
import type { RuntimeConsumer, RuntimeGateway } from '../config/snapshot';
import type { ConfigStore } from '../config/store';
import type { PolicyEngine } from '../policies/engine';
import { RateLimiter } from '../policies/rate-limit/limiter';
import { rateLimitGate } from '../policies/rate-limit/plugin';
import { readBody } from '../proxy/body';
import { GatewayError, errors } from '../errors/errors';
import type { Exchange } from '../proxy/exchange';
import { authenticate, findConsumer, findGateway, presentedKey } from '../proxy/resolve';
import type { Logger } from '../telemetry/logger';
import type { ProxyMetrics } from '../telemetry/metrics';
import { gatewayUrlOf } from './card';
import { checkRpcRequest } from './jsonrpc';
import { a2aMetrics } from './metrics';
import {
  answerCard,
  answerError,
  finish,
  relayRpc,
  type A2ARequest,
  type Env,
  type RpcCall,
} from './request';
import { AgentClient } from './upstream';

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
const REQUEST_ID = /^[\w.:@/+=-]{1,128}$/;

/** `/{consumer}/a2a/{agent}{rest}`, or undefined when the path is not an A2A one. */
export function a2aPath(path: string): { consumer: string; agent: string; rest: string } | undefined {
  const m = /^\/([^/]+)\/a2a\/([^/]+)(\/.*)?$/.exec(path);
  if (!m) return undefined;
  return { consumer: m[1] as string, agent: m[2] as string, rest: m[3] ?? '' };
}

export function createA2AHandler(deps: A2AHandlerDeps): A2AHandler {
  const env: Env = {
    store: deps.store,
    logger: deps.logger,
    metrics: a2aMetrics(deps.metrics.registry),
    limiter: deps.limiter ?? new RateLimiter(),
    client: deps.client ?? new AgentClient(),
    policies: deps.policies,
    gates: new WeakMap(),
  };
  return async function handle(x: Exchange, path: string): Promise<void> {
    const incoming = x.header('x-request-id');
    const r: A2ARequest = {
      x,
      start: performance.now(),
      o: {
        requestId: incoming && REQUEST_ID.test(incoming) ? incoming : randomUUID(),
        gateway: '',
        consumer: '',
        agent: '',
        method: '',
        status: 0,
        result: '',
      },
      extra: {},
      id: null,
      abort: new AbortController(),
      deadline: undefined,
      streaming: false,
    };
    x.onClientGone(() => r.abort.abort());
    try {
      await serve(env, r, path);
    } catch (err) {
      answerError(env, r, err);
    } finally {
      if (!r.streaming) clearTimeout(r.deadline);
    }
  };
}

/** The request's steps: route, gateway and consumer, CORS, key, body, agent, rate limit, relay. */
async function serve(env: Env, r: A2ARequest, path: string): Promise<void> {
  const { x, o } = r;
  const parts = a2aPath(path);
  if (!parts) throw errors.unknownEndpoint(x.method, path);
  const isCard = CARD_PATHS.has(parts.rest);
  o.method = isCard ? 'card' : 'other';
  if (!isCard && parts.rest !== '' && parts.rest !== '/') throw errors.unknownEndpoint(x.method, path);
  const wanted = isCard ? 'GET' : 'POST';
  if (x.method !== wanted && x.method !== 'OPTIONS') throw errors.methodNotAllowed(x.method, path);

  const snapshot = env.store.current;
  const gateway = findGateway(snapshot, x.header('x-ag-gateway-slug'), x.header('host'));
  o.gateway = gateway.config.slug;
  const consumer = findConsumer(gateway, parts.consumer);
  o.consumer = consumer.config.slug;
  // CORS, as for LLM requests: a preflight is answered before authentication (it has no key).
  const edge = { method: x.method, header: (n: string) => x.header(n), responseHeaders: r.extra };
  const preflight = env.policies?.pipelineFor(consumer.plugins).edge(edge);
  if (x.method === 'OPTIONS') {
    if (!preflight) throw errors.methodNotAllowed(x.method, path);
    o.status = preflight.status;
    o.result = 'preflight';
    finish(env, r);
    return x.respond(preflight.status, { ...r.extra, ...preflight.headers, 'x-request-id': o.requestId }, '');
  }
  const keyDigest = authenticate(consumer, presentedKey(x));
  // The request is read before the agent is looked up, so that every answer carries its id.
  const call = isCard ? undefined : await readRpc(r, consumer);
  const registry = agentOf(consumer, parts.agent, (name) =>
    snapshot.resources.get(resourceKey({ kind: 'Registry', name })),
  );
  o.agent = parts.agent;
  await checkRateLimit(env, r, gateway, consumer, keyDigest);
  r.deadline = setTimeout(() => r.abort.abort(), gateway.config.limits.requestTimeoutMs);
  const selfUrl = () => gatewayUrlOf((n) => x.header(n), undefined, parts.consumer, parts.agent);
  if (!call) return answerCard(env, r, registry, selfUrl);
  return relayRpc(env, r, registry, call, selfUrl);
}

/** The body as a JSON-RPC request: 415 when it is not JSON, 400 (with its id) when it is not one. */
async function readRpc(r: A2ARequest, consumer: RuntimeConsumer): Promise<RpcCall> {
  const { x } = r;
  const contentType = x.header('content-type');
  if (contentType && !contentType.toLowerCase().includes('json')) {
    throw new GatewayError(
      415,
      'unsupported_media_type',
      'A JSON-RPC request must be JSON (Content-Type: application/json).',
    );
  }
  const raw = await readBody(x.body, x.header('content-length'), consumer.maxRequestBodyBytes);
  const check = checkRpcRequest(parseJsonOrThrow(raw));
  if (!check.ok) {
    r.id = check.error.id;
    throw new GatewayError(
      400,
      'invalid_request',
      check.error.error.message,
      {},
      String(check.error.error.code),
    );
  }
  r.id = check.request.id;
  r.o.method = check.request.label;
  return { rpc: check.request, raw };
}

/** The consumer's rateLimit, counted as for its LLM requests (shared limiter). */
async function checkRateLimit(
  env: Env,
  r: A2ARequest,
  gateway: RuntimeGateway,
  consumer: RuntimeConsumer,
  keyDigest: Buffer,
): Promise<void> {
  const rateLimit = consumer.plugins.byName.rateLimit;
  if (!rateLimit) return;
  let gate = env.gates.get(rateLimit.config);
  if (!gate) {
    gate = rateLimitGate(rateLimit.config, rateLimit.policy, env.limiter);
    env.gates.set(rateLimit.config, gate);
  }
  const { x } = r;
  await gate({
    gateway,
    consumer,
    apiKeyHash: keyDigest.toString('hex'),
    clientIp: x.remoteAddress,
    header: (n) => x.header(n),
    responseHeaders: r.extra,
  });
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

function parseJsonOrThrow(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    throw new GatewayError(400, 'invalid_json', 'Parse error: the body is not valid JSON.');
  }
}
