import type { CompiledRetry, RetryOn } from '@tollgate/protocol';
import { RETRY_ON, type RetryPolicy } from '../api/v1alpha1';
import { duration, wholeNumber } from './common';
import type { StatusBuilder } from './status';

export const RETRY_DEFAULTS = { attempts: 3, backoffMs: 25 };

/** A consumer's retry policy with defaults applied: an absent one retries every failure kind. */
export function compileRetry(status: StatusBuilder, spec: RetryPolicy | undefined): CompiledRetry {
  const attempts =
    spec?.attempts === undefined
      ? RETRY_DEFAULTS.attempts
      : (wholeNumber(status, 'spec.retry.attempts', spec.attempts, 1, 10) ?? RETRY_DEFAULTS.attempts);
  const backoffMs =
    spec?.backoff === undefined
      ? RETRY_DEFAULTS.backoffMs
      : (duration(status, 'spec.retry.backoff', spec.backoff, 0) ?? RETRY_DEFAULTS.backoffMs);
  const perTryTimeoutMs =
    spec?.perTryTimeout === undefined
      ? undefined
      : duration(status, 'spec.retry.perTryTimeout', spec.perTryTimeout, 1);
  const retryOn: RetryOn[] = [];
  for (const kind of spec?.retryOn ?? RETRY_ON) {
    if (!(RETRY_ON as readonly string[]).includes(kind))
      status.reject('Invalid', `spec.retry.retryOn: '${String(kind)}' is not one of ${RETRY_ON.join(', ')}`);
    else if (!retryOn.includes(kind)) retryOn.push(kind);
  }
  // Canonical order: equal policies compile to equal bytes whatever order the user wrote.
  retryOn.sort((a, b) => RETRY_ON.indexOf(a) - RETRY_ON.indexOf(b));
  return { attempts, ...(perTryTimeoutMs !== undefined ? { perTryTimeoutMs } : {}), backoffMs, retryOn };
}
