import { createHash } from 'node:crypto';
import type { CompiledConsumer, CompiledGateway, CompiledRoute } from '@tollgate/protocol';
import { LB_STRATEGIES, type Consumer } from '../api/v1alpha1';
import { compileConsumerA2A } from './a2a';
import { checkLabel, nsName, oldestFirst, wholeNumber } from './common';
import { compileMatch, reservedPrefixOf } from './match';
import { compileConsumerMcp } from './mcp';
import { compileJwtIssuers } from './oauth';
import { compileRetry } from './retry';
import type { Refs } from './memo';
import { StatusBuilder } from './status';

export interface CompiledConsumers {
  emitted: Map<string, CompiledConsumer>;
  statuses: StatusBuilder[];
}

/** One Consumer on its own: its problems and, when it has none and its gateway is accepted, its body. */
export interface ConsumerDraft {
  status: StatusBuilder;
  body?: CompiledConsumer;
}

/**
 * A consumer needs an accepted gateway. A missing key Secret drops that key; a missing registry
 * drops that target, listed in the route's `unresolved` (a route left with none answers 503 naming
 * them). Slugs are unique per gateway, older wins.
 */
export function compileConsumers(
  consumers: readonly Consumer[],
  draftOf: (c: Consumer) => ConsumerDraft,
  gatewayOf: (name: string) => CompiledGateway | undefined = () => undefined,
): CompiledConsumers {
  const emitted = new Map<string, CompiledConsumer>();
  const slugOwner = new Map<string, string>();
  const statuses: StatusBuilder[] = [];

  for (const c of oldestFirst(consumers)) {
    const { status, body } = draftOf(c);
    if (!body) {
      statuses.push(status);
      continue;
    }
    if (body.mcp && !gatewayOf(body.gateway)?.mcp) {
      statuses.push(
        status.rejectedCopy(
          'Invalid',
          `spec.mcp: Gateway ${body.gateway} has no usable spec.mcp.sessionKeys, which seal MCP sessions`,
        ),
      );
      continue;
    }
    const slugKey = `${body.gateway}|${body.slug}`;
    const winner = slugOwner.get(slugKey);
    if (winner) {
      statuses.push(
        status.rejectedCopy(
          'SlugConflict',
          `spec.slug: '${body.slug}' is already used in Gateway ${body.gateway} by Consumer ${winner}`,
        ),
      );
      continue;
    }
    statuses.push(status);
    slugOwner.set(slugKey, nsName(c.metadata));
    emitted.set(nsName(c.metadata), body);
  }
  warnSharedKeys(emitted, statuses);
  return { emitted, statuses };
}

/**
 * A key held by more than one consumer (of any gateway) cannot address a consumer alone: the
 * proxies refuse it without `/{consumer}` in the path. Each holder's Accepted message says so.
 */
function warnSharedKeys(emitted: ReadonlyMap<string, CompiledConsumer>, statuses: StatusBuilder[]): void {
  const holders = new Map<string, string[]>();
  for (const [name, body] of emitted) {
    for (const h of body.apiKeyHashes) holders.set(h, [...(holders.get(h) ?? []), name]);
  }
  const others = new Map<string, Set<string>>();
  for (const names of holders.values()) {
    if (names.length < 2) continue;
    for (const n of names) {
      const set = others.get(n) ?? new Set<string>();
      for (const o of names) if (o !== n) set.add(o);
      others.set(n, set);
    }
  }
  if (others.size === 0) return;
  statuses.forEach((status, i) => {
    const shared = others.get(`${status.namespace}/${status.meta.name}`);
    if (!shared || !status.accepted) return;
    statuses[i] = status.notedCopy(
      `warning: an API key of this Consumer is also held by Consumer${shared.size > 1 ? 's' : ''} ${[...shared].sort().join(', ')}, ` +
        'so it cannot be used without /{consumer} in the path (key-only addressing); give each Consumer its own key',
    );
  });
}

/** JWT issuers are accepted at /{slug}/mcp only (OAuth resource-server mode). */
const JWT_WITHOUT_MCP =
  'warning: spec.credentials.jwt: access tokens are accepted at /{slug}/mcp only, and this Consumer has no spec.mcp';

export function compileConsumer(c: Consumer, refs: Refs): ConsumerDraft {
  const status = new StatusBuilder('Consumer', c.metadata);
  const ns = status.namespace;
  const spec = c.spec ?? ({} as Consumer['spec']);

  checkLabel(status, 'spec.slug', spec.slug);
  const jwt = compileJwtIssuers(status, spec.credentials?.jwt);
  if (spec.routes === undefined && spec.mcp === undefined)
    status.reject('Invalid', 'spec: routes or mcp (or both) are required');

  const gatewayName = `${ns}/${spec.gatewayRef?.name}`;
  const gateway = refs.gateway(gatewayName);
  if (gateway !== 'accepted') {
    if (gateway === 'rejected') {
      status.unresolvedRef(
        'RefNotAccepted',
        `spec.gatewayRef: Gateway '${spec.gatewayRef?.name}' is not accepted`,
      );
    } else {
      status.unresolvedRef('RefNotFound', `spec.gatewayRef: Gateway '${spec.gatewayRef?.name}' not found`);
    }
  }

  const apiKeyHashes = new Set<string>();
  for (const [i, k] of (spec.credentials?.apiKeys ?? []).entries()) {
    const found = refs.secret(ns, k.secretRef, `spec.credentials.apiKeys[${i}].secretRef`);
    if (found.ok) apiKeyHashes.add(createHash('sha256').update(found.value.trim()).digest('hex'));
    else status.unresolvedRef(found.reason, found.message);
  }

  const routes: CompiledRoute[] = [];
  const seenModels = new Set<string>();
  for (const [i, route] of (spec.routes ?? []).entries()) {
    const at = `spec.routes[${i}]`;
    if (seenModels.has(route.model))
      status.reject('Invalid', `${at}.model: '${route.model}' is routed twice`);
    seenModels.add(route.model);
    const reserved = typeof route.model === 'string' ? reservedPrefixOf(route.model) : undefined;
    if (reserved !== undefined) {
      status.reject(
        'Invalid',
        `${at}.model: '${route.model}' starts with '${reserved}', which callers use to pin a registry ('@{registry}/{model}') or pick a pool ('pool:{model}')`,
      );
    }
    // Unset: latency-aware, which also prefers healthy upstreams (failures make them slow or ejected).
    const strategy = route.strategy ?? 'LatencyAware';
    if (!LB_STRATEGIES.includes(strategy))
      status.reject('Invalid', `${at}.strategy: '${String(strategy)}' is not a strategy`);
    const targets: CompiledRoute['targets'] = [];
    const unresolved: NonNullable<CompiledRoute['unresolved']> = [];
    let total = 0;
    for (const [j, t] of (route.targets ?? []).entries()) {
      const tat = `${at}.targets[${j}]`;
      const weight = t.weight ?? 1;
      const priority = t.priority ?? 0;
      total += weight;
      wholeNumber(status, `${tat}.weight`, weight, 0);
      wholeNumber(status, `${tat}.priority`, priority, 0, 100);
      const match = compileMatch(status, `${tat}.match`, t.match);
      const registryName = `${ns}/${t.registryRef?.name}`;
      const registry = refs.registry(registryName);
      if (typeof registry === 'string') {
        const reason = registry === 'rejected' ? 'RefNotAccepted' : 'RefNotFound';
        const what = reason === 'RefNotFound' ? 'not found' : 'is not usable (see its conditions)';
        status.unresolvedRef(reason, `${tat}.registryRef: Registry '${t.registryRef?.name}' ${what}`);
        unresolved.push({ registry: registryName, reason });
        continue;
      }
      if (registry.provider === 'mcp') {
        status.reject(
          'Invalid',
          `${tat}.registryRef: Registry '${t.registryRef.name}' is an MCP server: list it in spec.mcp.servers`,
        );
        continue;
      }
      if (registry.provider === 'a2a') {
        status.reject(
          'Invalid',
          `${tat}.registryRef: Registry '${t.registryRef.name}' is an A2A agent: list it in spec.a2a.agents`,
        );
        continue;
      }
      const upstream = t.model ?? (route.model === '*' ? undefined : route.model);
      if (upstream !== undefined && registry.models.length > 0) {
        const served = registry.aliases[upstream] ?? upstream;
        if (!registry.models.includes(served)) {
          status.reject(
            'Invalid',
            `${tat}: Registry '${t.registryRef.name}' does not serve model '${upstream}'`,
          );
        }
      }
      targets.push({
        registry: registryName,
        ...(t.model !== undefined ? { model: t.model } : {}),
        weight,
        priority,
        ...(match !== undefined ? { match } : {}),
      });
    }
    if ((route.targets ?? []).length === 0)
      status.reject('Invalid', `${at}.targets: at least one target is required`);
    else if (total <= 0) status.reject('Invalid', `${at}.targets: weights must add up to more than 0`);
    routes.push({ model: route.model, strategy, targets, ...(unresolved.length > 0 ? { unresolved } : {}) });
  }

  const retry = compileRetry(status, spec.retry);
  const mcp = compileConsumerMcp(status, spec.mcp, refs, jwt !== undefined);
  const a2a = compileConsumerA2A(status, spec.a2a, refs);

  if (!status.accepted || gateway !== 'accepted') return { status };
  return {
    status: jwt && !mcp ? status.notedCopy(JWT_WITHOUT_MCP) : status,
    body: {
      source: { namespace: ns, name: c.metadata.name, generation: status.generation },
      gateway: gatewayName,
      slug: spec.slug,
      apiKeyHashes: [...apiKeyHashes].sort(),
      routes,
      retry,
      ...(mcp ? { mcp } : {}),
      ...(a2a ? { a2a } : {}),
      ...(jwt ? { jwt } : {}),
    },
  };
}
