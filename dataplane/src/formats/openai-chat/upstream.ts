import { TranslationError } from '../ir';
import { UpstreamFormatError } from '../wire';

/**
 * Runs a decoder of upstream data with the shared field readers: what they refuse as a bad client
 * request is, coming from the upstream, a protocol error (502, not 400).
 */
export function fromUpstream<T>(what: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof TranslationError) throw new UpstreamFormatError(`${what}: ${e.message}`);
    throw e;
  }
}
