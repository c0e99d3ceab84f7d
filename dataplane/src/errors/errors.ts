import { tooDeepMessage } from '../formats/depth';
import type { UnresolvedTarget } from '@tollgate/protocol';

/**
 * What an operator needs to fix a route whose targets did not resolve, e.g. "model 'x' of consumer
 * 'y' routes to Registry 'default/typo' which does not exist (ResolvedRefs=False)".
 */
function danglingRefs(model: string, consumer: string, unresolved: readonly UnresolvedTarget[]): string {
  const refs = unresolved.map(
    (u) =>
      `Registry '${u.registry}' which ${u.reason === 'RefNotFound' ? 'does not exist' : 'is not accepted'}`,
  );
  return `model '${model}' of consumer '${consumer}' routes to ${refs.join(' and ')} (ResolvedRefs=False)`;
}

/**
 * Errors the gateway itself answers with. They carry what every format needs (status, code,
 * message, param); the inbound format's codec renders them, with the error type its API uses for
 * the status.
 */
export class GatewayError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    /** Extra response headers, e.g. Retry-After. */
    readonly headers: Record<string, string> = {},
    /** The offending request field, when one is to blame. */
    readonly param?: string,
  ) {
    super(message);
    this.name = 'GatewayError';
  }
}

export const errors = {
  badRequest: (message: string, code = 'invalid_request', param?: string) =>
    new GatewayError(400, code, message, {}, param),
  invalidJson: () =>
    new GatewayError(
      400,
      'invalid_json',
      'We could not parse the JSON body of your request. Send a valid JSON object.',
    ),
  jsonTooDeep: () => new GatewayError(400, 'json_too_deep', tooDeepMessage('the JSON body of your request')),
  missingKey: () =>
    new GatewayError(
      401,
      'missing_api_key',
      'No API key provided. Send it as "Authorization: Bearer <key>", "X-AG-API-Key" or "x-api-key".',
    ),
  invalidKey: () => new GatewayError(401, 'invalid_api_key', 'Incorrect API key provided.'),
  wrongConsumer: (consumer: string) =>
    new GatewayError(
      403,
      'api_key_not_allowed',
      `This API key is not allowed to use consumer '${consumer}'.`,
    ),
  /** `slug`: the X-AG-Gateway-Slug the caller sent; `host`: the Host when no slug decided. */
  unknownGateway: (by: { slug?: string; host?: string } = {}) =>
    new GatewayError(
      404,
      'gateway_not_found',
      by.slug !== undefined
        ? `No gateway has the slug '${by.slug}' (from the X-AG-Gateway-Slug header).`
        : `No gateway matches this request${by.host ? `: the Host '${by.host}' is not a gateway hostname` : ''}. ` +
            'Set the X-AG-Gateway-Slug header, use a gateway hostname, or call /v1/... with the API key alone.',
    ),
  /** Key-only addressing: the key names a consumer of another gateway than the request does. */
  keyNotForGateway: (slug: string) =>
    new GatewayError(403, 'api_key_not_allowed', `This API key does not belong to gateway '${slug}'.`),
  /** Key-only addressing with a key held by several consumers (`owners`: `gateway/consumer` slugs). */
  sharedKey: (owners: readonly string[]) =>
    new GatewayError(
      400,
      'ambiguous_api_key',
      `This API key belongs to ${owners.length} consumers (${owners.join(', ')}), so it cannot choose one ` +
        'alone: call /{consumer}/v1/... with the X-AG-Gateway-Slug header instead, or give each consumer its own key.',
    ),
  preflightWithoutConsumer: (path: string) =>
    new GatewayError(
      404,
      'consumer_not_found',
      `A CORS preflight carries no API key, so ${path} cannot find its consumer: browsers call /{consumer}${path}.`,
    ),
  unknownConsumer: (slug: string) =>
    new GatewayError(404, 'consumer_not_found', `Consumer '${slug}' does not exist.`),
  /** `known`: the consumer's model names; up to ten are listed. */
  unknownModel: (model: string, known: readonly string[] = []) =>
    new GatewayError(
      404,
      'model_not_found',
      `The model '${model}' does not exist or you do not have access to it. ${modelHint(known)}`,
    ),
  unknownEndpoint: (method: string, path: string) =>
    new GatewayError(
      404,
      'unknown_url',
      `Unknown request URL: ${method} ${path}. Endpoints are /{consumer}/v1/chat/completions, ` +
        '/{consumer}/v1/messages, /{consumer}/v1/responses, /{consumer}/v1/embeddings and ' +
        '/{consumer}/v1/models (with the X-AG-Gateway-Slug header or a gateway hostname), ' +
        "or the same without '/{consumer}' (/v1/chat/completions, ...) when the API key belongs to one consumer.",
    ),
  methodNotAllowed: (method: string, path: string) =>
    new GatewayError(405, 'method_not_allowed', `Method ${method} is not allowed for ${path}.`),
  /** The request (headers or body) did not arrive in time; the connection is closed after the answer. */
  requestTimeout: () =>
    new GatewayError(
      408,
      'request_timeout',
      'The request was not received in time: its body (or headers) stopped arriving before the deadline.',
      { connection: 'close' },
    ),
  /** The client went away before its request was complete: recorded (status 499), never answered. */
  clientClosed: () =>
    new GatewayError(
      499,
      'client_closed',
      'The client closed the connection before the request was complete.',
    ),
  bodyTooLarge: (limit: number) =>
    new GatewayError(413, 'request_too_large', `Request body exceeds the limit of ${limit} bytes.`),
  unsupportedMediaType: () =>
    new GatewayError(
      415,
      'unsupported_media_type',
      'Request body must be JSON (Content-Type: application/json).',
    ),
  expectationFailed: () =>
    new GatewayError(417, 'expectation_failed', "The Expect header can only be '100-continue'.", {
      connection: 'close',
    }),
  headersTooLarge: (limit: number) =>
    new GatewayError(431, 'headers_too_large', `The request headers exceed the limit of ${limit} bytes.`, {
      connection: 'close',
    }),
  /** Bytes that are not a valid HTTP request: `detail` is the parser's reason, never the bytes. */
  malformedRequest: (detail: string) =>
    new GatewayError(400, 'malformed_request', `The request is not valid HTTP: ${detail}.`, {
      connection: 'close',
    }),
  upstreamFailed: (detail: string) =>
    new GatewayError(502, 'upstream_error', `The upstream provider failed: ${detail}`),
  noUpstream: (model: string, refs?: { consumer: string; unresolved?: readonly UnresolvedTarget[] }) =>
    new GatewayError(
      503,
      'no_upstream_available',
      refs?.unresolved?.length
        ? `No upstream is available for model '${model}': ${danglingRefs(model, refs.consumer, refs.unresolved)}.`
        : `No upstream is available for model '${model}'.`,
    ),
  shuttingDown: () =>
    new GatewayError(
      503,
      'gateway_shutting_down',
      'The gateway is shutting down: this request was cut before it completed. Retry it.',
    ),
  upstreamTimeout: (detail?: string) =>
    new GatewayError(
      504,
      'upstream_timeout',
      detail === undefined
        ? 'The upstream provider did not answer in time.'
        : `The upstream provider did not answer in time: ${detail}.`,
    ),
  internal: () => new GatewayError(500, 'internal_error', 'The gateway failed to handle this request.'),
  notReady: () =>
    new GatewayError(503, 'not_ready', 'The gateway has not received its configuration yet; retry shortly.', {
      'retry-after': '1',
    }),
};

/** Names a few of the models a consumer may use, or where to find them. */
const LISTED_MODELS = 10;
function modelHint(known: readonly string[]): string {
  if (known.length === 0) return 'GET /v1/models lists the models you can use.';
  const shown = known
    .slice(0, LISTED_MODELS)
    .map((m) => `'${m}'`)
    .join(', ');
  const more =
    known.length > LISTED_MODELS ? ` and ${known.length - LISTED_MODELS} more (GET /v1/models)` : '';
  return `Models you can use: ${shown}${more}.`;
}
