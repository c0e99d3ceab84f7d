import type { CompiledGateway } from '../../../protocol/src';
import type { Gateway } from '../api/v1alpha1';
import { HOSTNAME, byAge, checkLabel, durationMs, nsName } from './common';
import { StatusBuilder } from './status';

export const GATEWAY_DEFAULTS = { maxRequestBodyBytes: 10 * 1024 * 1024, requestTimeoutMs: 300_000 };

export interface CompiledGateways {
  /** Accepted gateways by `{namespace}/{name}`. */
  accepted: Map<string, CompiledGateway>;
  statuses: StatusBuilder[];
}

/** Slugs are unique across all namespaces and hostnames across all gateways; the older object wins. */
export function compileGateways(gateways: readonly Gateway[]): CompiledGateways {
  const accepted = new Map<string, CompiledGateway>();
  const slugOwner = new Map<string, string>();
  const hostOwner = new Map<string, string>();
  const statuses: StatusBuilder[] = [];

  for (const g of [...gateways].sort(byAge)) {
    const status = new StatusBuilder('Gateway', g.metadata);
    statuses.push(status);
    const spec = g.spec ?? {};
    const name = nsName(g.metadata);

    if (spec.telemetry !== undefined) status.reject('Unsupported', 'spec.telemetry is not supported yet');
    const slugOk = checkLabel(status, 'spec.slug', spec.slug);
    const hostnames = new Set<string>();
    for (const [i, h] of (spec.hostnames ?? []).entries()) {
      const host = String(h).toLowerCase();
      if (!HOSTNAME.test(host))
        status.reject('Invalid', `spec.hostnames[${i}]: '${h}' is not a valid hostname`);
      hostnames.add(host);
    }
    if (spec.baseDomain !== undefined) {
      const base = spec.baseDomain.toLowerCase().replace(/^\.+|\.+$/g, '');
      if (!HOSTNAME.test(base))
        status.reject('Invalid', `spec.baseDomain: '${spec.baseDomain}' is not a valid domain`);
      if (slugOk) hostnames.add(`${spec.slug}.${base}`);
    }
    const maxBody = spec.defaults?.maxRequestBodyBytes ?? GATEWAY_DEFAULTS.maxRequestBodyBytes;
    if (!Number.isInteger(maxBody) || maxBody < 1) {
      status.reject('Invalid', 'spec.defaults.maxRequestBodyBytes: must be a positive integer');
    }
    const requestTimeoutMs = durationMs(
      status,
      'spec.defaults.requestTimeout',
      spec.defaults?.requestTimeout,
      GATEWAY_DEFAULTS.requestTimeoutMs,
    );
    if (spec.fleet !== undefined) checkLabel(status, 'spec.fleet', spec.fleet);
    if (!status.accepted) continue;

    const slugWinner = slugOwner.get(spec.slug);
    if (slugWinner) {
      status.reject('SlugConflict', `spec.slug: '${spec.slug}' is already used by Gateway ${slugWinner}`);
      continue;
    }
    const clashes = [...hostnames].filter((h) => hostOwner.has(h));
    if (clashes.length > 0) {
      status.reject(
        'HostnameConflict',
        clashes.map((h) => `hostname '${h}' is already used by Gateway ${hostOwner.get(h)}`).join('; '),
      );
      continue;
    }
    slugOwner.set(spec.slug, name);
    for (const h of hostnames) hostOwner.set(h, name);
    accepted.set(name, {
      source: { namespace: status.namespace, name: g.metadata.name, generation: status.generation },
      slug: spec.slug,
      hostnames: [...hostnames].sort(),
      discovery: spec.discovery?.mode ?? 'HeaderThenHost',
      fleet: spec.fleet ?? 'default',
      limits: { maxRequestBodyBytes: maxBody, requestTimeoutMs },
    });
  }
  return { accepted, statuses };
}
