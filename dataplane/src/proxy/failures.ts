import { FORMATS } from '../formats';
import { CallAbort } from '../providers/abort';
import { describeFailure } from '../providers/failure';
import { isTimeoutError } from '../providers/http';
import { UpstreamError, type Operation } from '../providers/types';
import type { Logger } from '../telemetry/logger';
import { DEADLINE, SHUTDOWN } from './context';
import { GatewayError, errors } from '../errors/errors';
import type { Exchange } from './exchange';
import { INBOUND_FORMAT } from './translate';

export const JSON_TYPE = 'application/json';

/** A failure calling the upstream or reading its body, as the caller will see it (502 / 504 / 503). */
export function upstreamFailure(err: unknown, signal: CallAbort | undefined): GatewayError {
  if (signal?.reason === DEADLINE) return errors.upstreamTimeout();
  if (signal?.reason === SHUTDOWN) return errors.shuttingDown();
  if (err instanceof UpstreamError) {
    return err.kind === 'timeout' ? errors.upstreamTimeout(err.message) : errors.upstreamFailed(err.message);
  }
  if (err instanceof GatewayError) return err;
  // A failure reading the body (the adapter returned at the headers): in words, as the adapter's.
  const { message } = describeFailure(err);
  return isTimeoutError(err) ? errors.upstreamTimeout(message) : errors.upstreamFailed(message);
}

/** The raw code of an upstream failure, for the access log. */
export function upstreamCode(err: unknown): string | undefined {
  return err instanceof UpstreamError ? err.code : describeFailure(err).code;
}

export function toGatewayError(err: unknown, logger: Logger): GatewayError {
  if (err instanceof GatewayError) return err;
  logger.error({ err }, 'unexpected error in pipeline');
  return errors.internal();
}

export function errorResponse(
  x: Exchange,
  e: GatewayError,
  requestId: string,
  extra?: Record<string, string>,
  op?: Operation,
): void {
  x.respond(
    e.status,
    { 'content-type': JSON_TYPE, ...extra, ...e.headers, 'x-request-id': requestId },
    errorBodyFor(op, e),
  );
}

/** The Anthropic SDK lists and retrieves models with `anthropic-version`: its errors then come in its format. */
export function errorOp(op: Operation, x: Exchange): Operation {
  return op === 'models' && x.header('anthropic-version') ? 'messages' : op;
}

/** An error in the caller's format: its inbound API's, OpenAI's where the endpoint has no other. */
export function errorBodyFor(op: Operation | undefined, e: GatewayError): string {
  const format = FORMATS[(op && INBOUND_FORMAT[op]) ?? 'openai-chat'];
  return JSON.stringify(
    format.encodeError({
      status: e.status,
      code: e.code,
      message: e.message,
      ...(e.param !== undefined ? { param: e.param } : {}),
    }),
  );
}
