import type { CompiledApprovals } from '@tollgate/protocol';
import type { GatewayApprovals } from '../api/v1alpha1';
import { durationMs } from './common';
import type { Refs } from './memo';
import type { StatusBuilder } from './status';

export const APPROVAL_DEFAULTS = { timeoutMs: 5 * 60_000 };
const MIN_TIMEOUT_MS = 1000;
const MAX_TIMEOUT_MS = 24 * 3_600_000;
const URL_PATTERN = /^https?:\/\/[^/?#\s]+/;

/**
 * A Gateway's `spec.mcp.approvals`: the timeout, and the webhook with its signing key resolved.
 * A missing signing-key Secret leaves the webhook out (ResolvedRefs=False): approvals still work
 * on the ops port and the Gateway's other traffic goes on.
 */
export function compileApprovals(
  status: StatusBuilder,
  spec: GatewayApprovals | undefined,
  refs: Pick<Refs, 'secret'>,
): CompiledApprovals | undefined {
  if (spec === undefined) return undefined;
  const field = 'spec.mcp.approvals';
  const timeoutMs = durationMs(status, `${field}.timeout`, spec.timeout, APPROVAL_DEFAULTS.timeoutMs);
  if (timeoutMs < MIN_TIMEOUT_MS || timeoutMs > MAX_TIMEOUT_MS)
    status.reject('Invalid', `${field}.timeout: must be 1s to 24h`);
  const hook = spec.webhook;
  if (hook === undefined) return { timeoutMs };
  if (typeof hook.url !== 'string' || !URL_PATTERN.test(hook.url)) {
    status.reject('Invalid', `${field}.webhook.url: must be an http or https URL`);
    return { timeoutMs };
  }
  if (hook.secretRef === undefined) {
    status.reject('Invalid', `${field}.webhook.secretRef: required (the HMAC signing key)`);
    return { timeoutMs };
  }
  const found = refs.secret(status.namespace, hook.secretRef, `${field}.webhook.secretRef`);
  if (!found.ok) {
    status.unresolvedRef(found.reason, `${found.message} (approval requests are not sent to the webhook)`);
    return { timeoutMs };
  }
  const signingKey = found.value.trim();
  if (signingKey === '') {
    status.reject('Invalid', `${field}.webhook.secretRef: the signing key is empty`);
    return { timeoutMs };
  }
  return { timeoutMs, webhook: { url: hook.url, signingKey } };
}
