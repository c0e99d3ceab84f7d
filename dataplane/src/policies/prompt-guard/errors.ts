import { GatewayError } from '../../errors/errors';
import { describeFindings, type Finding } from './decide';

/**
 * What a caller sees when the guard refuses. Messages name the detectors or patterns and where
 * they matched, never the matched text (the error may be logged or shown where the data must not be).
 */

/** 400: the request holds data this consumer may not send; the caller can fix it and retry. */
export function promptBlocked(findings: readonly Finding[]): GatewayError {
  return new GatewayError(
    400,
    'prompt_blocked',
    `The request was blocked by a prompt guard: it contains ${describeFindings(findings)}. Remove that data and retry.`,
    {},
    findings[0]?.places[0],
  );
}

/**
 * 422: the request was valid but the model's answer holds data the caller may not receive. Not 400
 * (nothing in the request is wrong) and not 5xx (nothing failed, and SDKs would retry a 5xx,
 * paying for the same answer again); 422 is what the SDKs raise as UnprocessableEntityError.
 */
export function responseBlocked(findings: readonly Finding[]): GatewayError {
  return new GatewayError(
    422,
    'response_blocked',
    `The model's response was blocked by a prompt guard: it contains ${describeFindings(findings)}.`,
  );
}

/** The guard service said reject; its reason is the operator's text, passed on cleaned and capped. */
export function blockedByService(phase: 'request' | 'response', reason: string | undefined): GatewayError {
  const why = reason ? `: ${clean(reason)}` : '.';
  return phase === 'request'
    ? new GatewayError(400, 'prompt_blocked', `The request was blocked by the guard service${why}`)
    : new GatewayError(
        422,
        'response_blocked',
        `The model's response was blocked by the guard service${why}`,
      );
}

export function guardUnavailable(): GatewayError {
  return new GatewayError(
    503,
    'guard_unavailable',
    'The prompt guard is unavailable and is configured to fail closed. Try again shortly.',
  );
}

function clean(reason: string): string {
  // eslint-disable-next-line no-control-regex
  const text = reason.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim();
  return text.length > 300 ? `${text.slice(0, 300)}…` : text;
}
