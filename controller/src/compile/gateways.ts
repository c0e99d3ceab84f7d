import type { CompiledGateway } from '@tollgate/protocol';
import type { Gateway } from '../api/v1alpha1';
import { compileApprovals } from './approvals';
import { HOSTNAME, checkLabel, durationMs, nsName, oldestFirst } from './common';
import { compileGatewayMcp } from './mcp';
import type { Refs } from './memo';
import { StatusBuilder } from './status';

export const GATEWAY_DEFAULTS = { maxRequestBodyBytes: 10 * 1024 * 1024, requestTimeoutMs: 300_000 };

export interface CompiledGateways {
  /** Accepted gateways by `{namespace}/{name}`. */
  accepted: Map<string, CompiledGateway>;
  statuses: StatusBuilder[];
}

/** One Gateway on its own: its problems and, when it has none, its body. */
export interface GatewayDraft {
  status: StatusBuilder;
  /** Hostnames in the order the spec gives them, for conflict messages. */
  hostnames: string[];
  body?: CompiledGateway;
}

export function compileGateway(g: Gateway, refs: Pick<Refs, 'secret'>): GatewayDraft {
  const status = new StatusBuilder('Gateway', g.metadata);
  const spec = g.spec ?? {};

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
  const mcp = compileGatewayMcp(status, spec.mcp, refs);
  const approvals = compileApprovals(status, spec.mcp?.approvals, refs);
  if (!status.accepted) return { status, hostnames: [...hostnames] };
  return {
    status,
    hostnames: [...hostnames],
    body: {
      source: { namespace: status.namespace, name: g.metadata.name, generation: status.generation },
      slug: spec.slug,
      hostnames: [...hostnames].sort(),
      discovery: spec.discovery?.mode ?? 'HeaderThenHost',
      fleet: spec.fleet ?? 'default',
      limits: { maxRequestBodyBytes: maxBody, requestTimeoutMs },
      ...(mcp ? { mcp } : {}),
      ...(approvals ? { approvals } : {}),
    },
  };
}

/** Slugs are unique across all namespaces and hostnames across all gateways; the older object wins. */
export function compileGateways(
  gateways: readonly Gateway[],
  draftOf: (g: Gateway) => GatewayDraft,
): CompiledGateways {
  const accepted = new Map<string, CompiledGateway>();
  const slugOwner = new Map<string, string>();
  const hostOwner = new Map<string, string>();
  const statuses: StatusBuilder[] = [];

  for (const g of oldestFirst(gateways)) {
    const { status, hostnames, body } = draftOf(g);
    const name = nsName(g.metadata);
    if (!body) {
      statuses.push(status);
      continue;
    }
    const slugWinner = slugOwner.get(body.slug);
    if (slugWinner) {
      statuses.push(
        status.rejectedCopy(
          'SlugConflict',
          `spec.slug: '${body.slug}' is already used by Gateway ${slugWinner}`,
        ),
      );
      continue;
    }
    const clashes = hostnames.filter((h) => hostOwner.has(h));
    if (clashes.length > 0) {
      statuses.push(
        status.rejectedCopy(
          'HostnameConflict',
          clashes.map((h) => `hostname '${h}' is already used by Gateway ${hostOwner.get(h)}`).join('; '),
        ),
      );
      continue;
    }
    statuses.push(status);
    slugOwner.set(body.slug, name);
    for (const h of hostnames) hostOwner.set(h, name);
    accepted.set(name, body);
  }
  return { accepted, statuses };
}
