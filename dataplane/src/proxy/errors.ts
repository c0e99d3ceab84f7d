import { tooDeepMessage } from '../formats/depth';

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
  unknownGateway: () =>
    new GatewayError(
      404,
      'gateway_not_found',
      'No gateway matches this request: set the X-AG-Gateway-Slug header or use a gateway hostname.',
    ),
  unknownConsumer: (slug: string) =>
    new GatewayError(404, 'consumer_not_found', `Consumer '${slug}' does not exist.`),
  unknownModel: (model: string) =>
    new GatewayError(
      404,
      'model_not_found',
      `The model '${model}' does not exist or you do not have access to it.`,
    ),
  unknownEndpoint: (method: string, path: string) =>
    new GatewayError(404, 'unknown_url', `Unknown request URL: ${method} ${path}.`),
  methodNotAllowed: (method: string, path: string) =>
    new GatewayError(405, 'method_not_allowed', `Method ${method} is not allowed for ${path}.`),
  bodyTooLarge: (limit: number) =>
    new GatewayError(413, 'request_too_large', `Request body exceeds the limit of ${limit} bytes.`),
  unsupportedMediaType: () =>
    new GatewayError(
      415,
      'unsupported_media_type',
      'Request body must be JSON (Content-Type: application/json).',
    ),
  upstreamFailed: (detail: string) =>
    new GatewayError(502, 'upstream_error', `The upstream provider failed: ${detail}`),
  noUpstream: (model: string) =>
    new GatewayError(503, 'no_upstream_available', `No upstream is available for model '${model}'.`),
  upstreamTimeout: () =>
    new GatewayError(504, 'upstream_timeout', 'The upstream provider did not answer in time.'),
  internal: () => new GatewayError(500, 'internal_error', 'The gateway failed to handle this request.'),
};
