import type { ErrorInfo } from '../ir';
import { isObject, type Json } from '../wire';

/**
 * Bedrock Runtime errors: the body is `{"message": "…"}` and the error type travels in the
 * `x-amzn-ErrorType` header (sometimes suffixed `:http://internal.amazon.com/…`). Statuses as the
 * service model declares them.
 */
export const BEDROCK_ERROR_STATUS: Readonly<Record<string, number>> = {
  ValidationException: 400,
  ServiceQuotaExceededException: 400,
  AccessDeniedException: 403,
  UnrecognizedClientException: 403,
  InvalidSignatureException: 403,
  MissingAuthenticationTokenException: 403,
  ResourceNotFoundException: 404,
  ModelTimeoutException: 408,
  ModelErrorException: 424,
  ModelStreamErrorException: 424,
  ThrottlingException: 429,
  ModelNotReadyException: 429,
  InternalServerException: 500,
  ServiceUnavailableException: 503,
};

export function encodeError(e: ErrorInfo): Json {
  return { message: e.message };
}

/** Reads `message` (AWS JSON protocols also spell it `Message`). */
export function decodeErrorMessage(body: unknown): string | undefined {
  if (!isObject(body)) return undefined;
  const m = body.message ?? body.Message;
  return typeof m === 'string' ? m : undefined;
}

/** The `x-amzn-ErrorType` Bedrock sends with a status. */
export function errorTypeForStatus(status: number): string {
  switch (status) {
    case 401:
      return 'UnrecognizedClientException';
    case 403:
      return 'AccessDeniedException';
    case 404:
      return 'ResourceNotFoundException';
    case 408:
      return 'ModelTimeoutException';
    case 424:
      return 'ModelErrorException';
    case 429:
      return 'ThrottlingException';
    case 503:
      return 'ServiceUnavailableException';
    default:
      return status >= 500 ? 'InternalServerException' : 'ValidationException';
  }
}

/** `x-amzn-ErrorType` → the bare type (`ThrottlingException:http://…` → `ThrottlingException`). */
export function parseErrorType(header: string | undefined): string | undefined {
  const t = header?.split(':')[0]?.trim();
  return t === undefined || t === '' ? undefined : t;
}

/**
 * The ConverseStream exception member for a failure mid-stream: the stream can carry only
 * internalServer, modelStreamError, validation, throttling and serviceUnavailable exceptions.
 */
export function streamExceptionForStatus(status: number): string {
  switch (status) {
    case 400:
      return 'validationException';
    case 424:
      return 'modelStreamErrorException';
    case 429:
      return 'throttlingException';
    case 503:
      return 'serviceUnavailableException';
    default:
      return 'internalServerException';
  }
}
