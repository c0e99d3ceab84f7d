import { createHash } from 'node:crypto';
import { asReceived, isModelRegistry, type AnyResource, type CompiledRegistry } from '@tollgate/protocol';
import type { RuntimeConsumer, RuntimeRoute, Snapshot } from '../config/snapshot';
import { FORMATS, type FormatName } from '../formats';
import type { ChatRequest } from '../formats/ir';
import { PROFILES } from '../providers/profiles';
import type { Operation } from '../providers/types';
import { ENDPOINTS } from '../proxy/endpoints';
import { INBOUND_FORMAT } from '../proxy/translate';

/**
 * What a warm-up sends, decided on the config alone (pure): one request per shape the config
 * serves — inbound format × the formats of the route's upstreams × streamed or not × the consumer's
 * plugin set — and the copy of the config those requests go through, every upstream of which is
 * the in-process fake upstream and every consumer of which takes the warm-up's own key.
 */

/** One synthetic request: its path, headers and body as a client sends them. */
export interface WarmRequest {
  /** The shape, e.g. `openai-chat>openai-chat stream [rateLimit,budget]`: a warm-up sends each once per process. */
  key: string;
  path: string;
  headers: Record<string, string>;
  body: string;
}

/** The inbound format every route is warmed with (most clients speak it), beside its upstreams' own. */
const COMMON_INBOUND: FormatName = 'openai-chat';
const ANTHROPIC_VERSION = '2023-06-01';

/** A registry the warm-up can send to: in-process (`mock`) or over HTTP without fetching a token first. */
function warmable(r: CompiledRegistry): boolean {
  if (!isModelRegistry(r)) return false;
  return r.provider === 'mock' || PROFILES[r.provider].auth !== 'google-oauth';
}

/** The format a registry answers chat in (the mock answers in OpenAI's). */
function chatFormat(r: CompiledRegistry): FormatName {
  return !isModelRegistry(r) || r.provider === 'mock' ? 'openai-chat' : PROFILES[r.provider].chat;
}

/** The registries the fake upstream stands in for, in config order: the one at index i is served under `/u{i}`. */
function faked(resources: Iterable<AnyResource>): { name: string; body: CompiledRegistry }[] {
  const out: { name: string; body: CompiledRegistry }[] = [];
  for (const r of resources)
    if (r.kind === 'Registry' && isModelRegistry(r.body) && r.body.provider !== 'mock')
      out.push({ name: r.name, body: r.body });
  return out;
}

/** The format the fake upstream answers in under each `/u{i}` prefix. */
export function fakeFormats(snapshot: Snapshot): FormatName[] {
  return faked(snapshot.resources.values()).map((r) => chatFormat(r.body));
}

const DUMMY = 'warm-up';

/** Bedrock's IAM keys, where set, replaced by dummies. */
function dummyKeys(b: NonNullable<CompiledRegistry['bedrock']>): Partial<typeof b> {
  return {
    ...(b.accessKeyId !== undefined ? { accessKeyId: DUMMY } : {}),
    ...(b.secretAccessKey !== undefined ? { secretAccessKey: DUMMY } : {}),
    ...(b.sessionToken !== undefined ? { sessionToken: DUMMY } : {}),
  };
}

/** SHA-256 hex, as compile stores consumer keys. */
const digest = (key: string) => createHash('sha256').update(key).digest('hex');

/**
 * The config the warm-up's throwaway proxy serves: every upstream (but the in-process mock) at the
 * fake upstream `origin` with dummy credentials, every consumer keyed by `key` alone, and no policy
 * that calls out (a prompt guard's webhook). Everything else — gateways, routes, policies — as
 * configured.
 */
export function warmResources(snapshot: Snapshot, origin: string, key: string): AnyResource[] {
  const index = new Map(faked(snapshot.resources.values()).map((r, i) => [r.name, i]));
  const hashes = [digest(key)];
  return [...snapshot.resources.values()].map((r): AnyResource => {
    switch (r.kind) {
      case 'Registry': {
        const i = index.get(r.name);
        if (i === undefined) return r;
        // Credentials of the same shape (the same auth code runs), none of them real.
        const { apiKey, bedrock } = r.body;
        const body = { ...r.body, baseUrl: `${origin}/u${i}` };
        if (apiKey !== undefined) body.apiKey = DUMMY;
        if (bedrock) body.bedrock = { ...bedrock, ...dummyKeys(bedrock) };
        return asReceived({ ...r, body });
      }
      case 'Consumer': {
        const { jwt: _jwt, mcp: _mcp, a2a: _a2a, ...body } = r.body;
        return asReceived({ ...r, body: { ...body, apiKeyHashes: hashes } });
      }
      case 'Policy': {
        const guard = r.body.plugins.promptGuard;
        if (!guard?.webhook) return r;
        const { webhook: _webhook, ...rest } = guard;
        return asReceived({ ...r, body: { ...r.body, plugins: { ...r.body.plugins, promptGuard: rest } } });
      }
      default:
        return r;
    }
  });
}

/**
 * One request per shape the config serves and `skip` does not hold, at most `max`: every route of
 * every consumer whose targets are all warmable, in OpenAI's format and in each of its upstreams'
 * own (when it is an inbound format), streamed and not.
 */
export function warmRequests(
  snapshot: Snapshot,
  key: string,
  skip: ReadonlySet<string> = new Set(),
  max = 64,
): WarmRequest[] {
  const out = new Map<string, WarmRequest>();
  for (const gateway of snapshot.gatewaysBySlug.values()) {
    for (const consumer of gateway.consumersBySlug.values()) {
      for (const route of routesOf(consumer)) {
        if (!route.targets.every((t) => warmable(t.registry))) continue;
        const upstream = [...new Set(route.targets.map((t) => chatFormat(t.registry)))].sort();
        const inbound = new Set([COMMON_INBOUND, ...upstream.filter(isInbound)]);
        const plugins = consumer.plugins.list.map((p) => p.name).join(',');
        for (const format of inbound) {
          for (const stream of [false, true]) {
            const shape = `${format}>${upstream.join('+')}${stream ? ' stream' : ''} [${plugins}]`;
            if (skip.has(shape) || out.has(shape)) continue;
            out.set(
              shape,
              request(shape, gateway.config.slug, consumer, modelOf(route), format, stream, key),
            );
            if (out.size >= max) return [...out.values()];
          }
        }
      }
    }
  }
  return [...out.values()];
}

function routesOf(consumer: RuntimeConsumer): RuntimeRoute[] {
  return [...consumer.routes.values(), ...(consumer.catchAll ? [consumer.catchAll] : [])];
}

/** The model a request names to reach `route`: its own, or for the catch-all one its first target serves. */
function modelOf(route: RuntimeRoute): string {
  if (route.model !== '*') return route.model;
  const first = route.targets[0];
  return first?.model ?? first?.registry.models[0] ?? 'warm-up';
}

const OPERATION_OF = new Map(Object.entries(INBOUND_FORMAT).map(([op, f]) => [f, op as Operation]));
const isInbound = (f: FormatName) => OPERATION_OF.has(f);

function request(
  key: string,
  gatewaySlug: string,
  consumer: RuntimeConsumer,
  model: string,
  format: FormatName,
  stream: boolean,
  apiKey: string,
): WarmRequest {
  const op = OPERATION_OF.get(format);
  const endpoint = ENDPOINTS.find((e) => e.op === op && e.method === 'POST' && e.kind === undefined);
  if (!endpoint) throw new Error(`no endpoint takes ${format}`);
  const chat: ChatRequest = {
    model,
    system: [{ type: 'text', text: 'You are a terse assistant.' }],
    messages: [{ role: 'user', content: [{ type: 'text', text: 'Say something short about foxes.' }] }],
    maxTokens: 32,
    stream,
  };
  return {
    key,
    path: `/${consumer.config.slug}${endpoint.rest}`,
    headers: {
      'content-type': 'application/json',
      'x-ag-gateway-slug': gatewaySlug,
      // As each format's SDK sends the key.
      ...(format === 'anthropic-messages'
        ? { 'x-api-key': apiKey, 'anthropic-version': ANTHROPIC_VERSION }
        : { authorization: `Bearer ${apiKey}` }),
    },
    body: JSON.stringify(FORMATS[format].encodeRequest(chat)),
  };
}
