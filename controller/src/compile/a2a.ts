import type { CompiledA2AAgent, CompiledConsumerA2A } from '@tollgate/protocol';
import type { ConsumerSpec, RegistrySpec } from '../api/v1alpha1';
import { checkLabel, durationMs } from './common';
import type { Refs } from './memo';
import type { StatusBuilder } from './status';

export const A2A_CARD_PATH = '/.well-known/agent-card.json';
export const A2A_CARD_CACHE_TTL_MS = 30_000;
const HEADER_NAME = /^[-!#$%&'*+.^_`|~0-9A-Za-z]+$/;
/** Headers the proxy sets itself on every agent request: a registry may not replace them. */
const RESERVED_HEADERS = new Set(['authorization', 'content-type', 'content-length', 'host', 'accept']);

/**
 * A Registry's `spec.a2a`: the agent's card location and headers, secrets resolved. Undefined (and
 * nothing reported) for other providers, which are refused `spec.a2a` by the caller's checks.
 */
export function compileA2AAgent(
  status: StatusBuilder,
  spec: RegistrySpec,
  refs: Pick<Refs, 'secret'>,
): CompiledA2AAgent | undefined {
  if (spec.a2a !== undefined && spec.provider !== 'a2a') {
    status.reject('Invalid', "spec.a2a: only allowed when spec.provider is 'a2a'");
    return undefined;
  }
  if (spec.provider !== 'a2a') return undefined;
  if (spec.models !== undefined && spec.models.length > 0)
    status.reject('Invalid', "spec.models: an A2A agent (provider 'a2a') serves no models");
  if (spec.healthCheck?.active !== undefined) {
    status.reject(
      'Invalid',
      "spec.healthCheck.active: not available for provider 'a2a' (its card is fetched when asked for)",
    );
  }
  const a2a = spec.a2a ?? {};
  const cardPath = a2a.cardPath ?? A2A_CARD_PATH;
  if (!/^\/[^\s#?]*$/.test(cardPath))
    status.reject('Invalid', `spec.a2a.cardPath: '${cardPath}' must be a path starting with '/'`);
  const cardCacheTtlMs = durationMs(status, 'spec.a2a.cardCacheTtl', a2a.cardCacheTtl, A2A_CARD_CACHE_TTL_MS);
  const headers: Record<string, string> = {};
  for (const [i, h] of (a2a.headers ?? []).entries()) {
    const at = `spec.a2a.headers[${i}]`;
    const name = String(h.name ?? '').toLowerCase();
    if (!HEADER_NAME.test(name)) {
      status.reject('Invalid', `${at}.name: '${String(h.name)}' is not a header name`);
      continue;
    }
    if (RESERVED_HEADERS.has(name)) {
      status.reject(
        'Invalid',
        `${at}.name: '${name}' is set by the proxy (use credentials for Authorization)`,
      );
      continue;
    }
    if (name in headers) status.reject('Invalid', `${at}.name: '${name}' is listed twice`);
    if ((h.value === undefined) === (h.secretRef === undefined)) {
      status.reject('Invalid', `${at}: set exactly one of value or secretRef`);
      continue;
    }
    if (h.secretRef) {
      const found = refs.secret(status.namespace, h.secretRef, `${at}.secretRef`);
      if (found.ok) headers[name] = found.value.trim();
      else status.unresolvedRef(found.reason, found.message);
    } else headers[name] = h.value ?? '';
  }
  return { cardPath, cardCacheTtlMs, headers };
}

/**
 * A Consumer's `spec.a2a`: each agent's name (the Registry's unless set, a DNS label, unique) and
 * its Registry, which must exist, be usable and be of provider a2a. A missing or unusable Registry
 * drops that agent (ResolvedRefs=False); one of another provider rejects the Consumer.
 */
export function compileConsumerA2A(
  status: StatusBuilder,
  spec: ConsumerSpec['a2a'],
  refs: Pick<Refs, 'registry'>,
): CompiledConsumerA2A | undefined {
  if (spec === undefined) return undefined;
  const agents: CompiledConsumerA2A['agents'] = [];
  const names = new Set<string>();
  for (const [i, a] of (spec.agents ?? []).entries()) {
    const at = `spec.a2a.agents[${i}]`;
    const refName = a.registryRef?.name;
    const name = a.name ?? refName;
    if (
      !checkLabel(
        status,
        a.name === undefined ? `${at}.registryRef.name (the agent's name)` : `${at}.name`,
        name,
      )
    )
      continue;
    if (names.has(name)) {
      status.reject('Invalid', `${at}.name: agent '${name}' is listed twice`);
      continue;
    }
    names.add(name);
    const registryName = `${status.namespace}/${refName}`;
    const registry = refs.registry(registryName);
    if (typeof registry === 'string') {
      const what = registry === 'rejected' ? 'is not usable (see its conditions)' : 'not found';
      status.unresolvedRef(
        registry === 'rejected' ? 'RefNotAccepted' : 'RefNotFound',
        `${at}.registryRef: Registry '${refName}' ${what}`,
      );
      continue;
    }
    if (registry.provider !== 'a2a') {
      status.reject(
        'Invalid',
        `${at}.registryRef: Registry '${refName}' is of provider '${registry.provider}'; agents need provider 'a2a'`,
      );
      continue;
    }
    agents.push({ name, registry: registryName });
  }
  agents.sort((x, y) => (x.name < y.name ? -1 : x.name > y.name ? 1 : 0));
  return { agents };
}
