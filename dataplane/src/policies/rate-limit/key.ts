import { createHash } from 'node:crypto';
import type { CompiledRateLimit, RateLimitKey } from '@tollgate/protocol';

/** What a counter key can be derived from. */
export interface KeySource {
  readonly gateway: { readonly name: string };
  readonly consumer: { readonly name: string };
  readonly apiKeyHash: string;
  readonly clientIp: string | undefined;
  header(name: string): string | undefined;
}

/**
 * The counter a request is counted in. Counters belong to the Policy (its name is in the key) and
 * to its algorithm and window, so editing those starts fresh counters rather than misreading old
 * ones; editing `requests` keeps them. Per key kind:
 *
 * - Consumer: the consumer's resource name — each consumer the Policy covers counts separately.
 * - Gateway: the gateway's resource name — one counter for all its consumers.
 * - APIKey: the SHA-256 digest of the caller's key (never the key).
 * - ClientIP: the TCP peer address (IPv4-mapped IPv6 reduced to IPv4). Behind a proxy that is the
 *   proxy: use `key: Header` with the header it sets instead.
 * - Header: a digest of the header's value (it may be a credential); requests without the header
 *   share one counter, so leaving it out is no way around the limit.
 */
export function counterKeyOf(policy: string, config: CompiledRateLimit): (req: KeySource) => string {
  // Built once per plugin instance (per config snapshot); a request only appends its own part.
  const prefix = `tollgate:rl:${policy}:${config.algorithm === 'TokenBucket' ? 'tb' : 'sw'}:${config.windowMs}:`;
  return keyedBy(prefix, config);
}

/** `prefix` plus the request's part for the limit's `key` (and `header`), as counterKeyOf describes. */
export function keyedBy(
  prefix: string,
  config: { readonly key: RateLimitKey; readonly header?: string },
): (req: KeySource) => string {
  switch (config.key) {
    case 'Consumer':
      return (req) => `${prefix}consumer:${req.consumer.name}`;
    case 'Gateway':
      return (req) => `${prefix}gateway:${req.gateway.name}`;
    case 'APIKey':
      return (req) => `${prefix}apikey:${req.apiKeyHash}`;
    case 'ClientIP':
      return (req) => `${prefix}ip:${normaliseIp(req.clientIp)}`;
    case 'Header': {
      const name = config.header ?? '';
      const headerPrefix = `${prefix}header:${name}:`;
      return (req) => {
        const value = req.header(name);
        return headerPrefix + (value === undefined ? '-' : digest(value));
      };
    }
  }
}

function normaliseIp(ip: string | undefined): string {
  if (!ip) return 'unknown';
  return ip.startsWith('::ffff:') && ip.includes('.') ? ip.slice(7) : ip;
}

function digest(value: string): string {
  return createHash('sha256').update(value).digest('hex').slice(0, 32);
}
