import type { CompiledRequestSize } from '@tollgate/protocol';
import type { PolicyPlugins } from '../../api/v1alpha1';
import type { StatusBuilder } from '../status';
import { wholeNumber } from '../common';

const INT32_MAX = 2 ** 31 - 1;

export function compileRequestSize(
  status: StatusBuilder,
  at: string,
  spec: NonNullable<PolicyPlugins['requestSize']>,
): CompiledRequestSize {
  const out: CompiledRequestSize = {};
  if (spec.maxBodyBytes !== undefined) {
    const n = wholeNumber(status, `${at}.maxBodyBytes`, spec.maxBodyBytes, 1);
    if (n !== undefined) out.maxBodyBytes = n;
  }
  if (spec.maxMessages !== undefined) {
    const n = wholeNumber(status, `${at}.maxMessages`, spec.maxMessages, 1, INT32_MAX);
    if (n !== undefined) out.maxMessages = n;
  }
  if (spec.maxBodyBytes === undefined && spec.maxMessages === undefined) {
    status.reject('Invalid', `${at}: set maxBodyBytes, maxMessages or both`);
  }
  return out;
}
