import { createHash, timingSafeEqual } from 'node:crypto';
import {
  narrowRoute,
  type RuntimeConsumer,
  type RuntimeGateway,
  type RuntimeRoute,
  type RuntimeTarget,
  type Snapshot,
} from '../config/snapshot';
import { GatewayError, errors } from '../errors/errors';

/**
 * Finds the gateway by X-AG-Gateway-Slug, else by Host. A slug that names no gateway is refused
 * (never served by the Host's gateway: a typo must not reach another tenant); a HostOnly gateway
 * ignores the header, so its slug sent there falls through to the Host.
 */
export function findGateway(
  snapshot: Snapshot,
  slugHeader: string | undefined,
  host: string | undefined,
): RuntimeGateway {
  if (slugHeader) {
    const g = snapshot.gatewaysBySlug.get(slugHeader);
    if (!g) throw errors.unknownGateway({ slug: slugHeader });
    if (g.config.discovery === 'HeaderThenHost') return g;
  }
  const g = gatewayOfHost(snapshot, host);
  if (g) return g;
  throw errors.unknownGateway(host ? { host } : {});
}

function gatewayOfHost(snapshot: Snapshot, host: string | undefined): RuntimeGateway | undefined {
  return host ? snapshot.gatewaysByHost.get(hostWithoutPort(host)) : undefined;
}

/** A consumer found by its API key alone, and the key's digest (what `authenticate` returns). */
export interface KeyAddressed {
  consumer: RuntimeConsumer;
  digest: Buffer;
}

/**
 * Key-only addressing (`/v1/...`, no consumer in the path): the key's digest names the one
 * consumer holding it, and with it the gateway. One map lookup; matching the full digest is the
 * authentication (a lookup's timing can at most hint at digests, which reveal no key). When the request also names a gateway (X-AG-Gateway-Slug, or a Host that is a
 * gateway hostname) it must be the key's; a HostOnly gateway is reached through its hostnames only.
 */
export function findByKey(
  snapshot: Snapshot,
  key: string | undefined,
  slugHeader: string | undefined,
  host: string | undefined,
): KeyAddressed {
  if (!key) throw errors.missingKey();
  const digest = createHash('sha256').update(key).digest();
  const owners = snapshot.keyOwners.get(digest.toString('hex'));
  const [consumer] = owners ?? [];
  if (!owners || !consumer) throw errors.invalidKey();
  if (owners.length > 1) {
    throw errors.sharedKey(owners.map((c) => `${c.gateway.config.slug}/${c.config.slug}`).sort());
  }
  const gateway = consumer.gateway;
  const byHost = gatewayOfHost(snapshot, host);
  let named: RuntimeGateway | undefined;
  if (slugHeader) {
    named = snapshot.gatewaysBySlug.get(slugHeader);
    if (!named) throw errors.unknownGateway({ slug: slugHeader });
    if (named.config.discovery === 'HostOnly') named = undefined;
  }
  named ??= byHost;
  if (named && named !== gateway) throw errors.keyNotForGateway(named.config.slug);
  if (gateway.config.discovery === 'HostOnly' && byHost !== gateway) throw errors.invalidKey();
  return { consumer, digest };
}

function hostWithoutPort(host: string): string {
  const h = host.toLowerCase();
  if (h.startsWith('[')) return h.slice(0, h.indexOf(']') + 1);
  const colon = h.lastIndexOf(':');
  return colon === -1 ? h : h.slice(0, colon);
}

export function findConsumer(gateway: RuntimeGateway, slug: string): RuntimeConsumer {
  const c = gateway.consumersBySlug.get(slug);
  if (!c) throw errors.unknownConsumer(slug);
  return c;
}

/** The caller's key, from the first of the three accepted headers that is present. */
export function presentedKey(headers: { header(name: string): string | undefined }): string | undefined {
  const ag = headers.header('x-ag-api-key');
  if (ag) return ag.trim();
  const auth = headers.header('authorization');
  if (auth) {
    const m = /^Bearer\s+(.+)$/i.exec(auth.trim());
    if (m?.[1]) return m[1].trim();
  }
  const x = headers.header('x-api-key');
  if (x) return x.trim();
  return undefined;
}

/**
 * Keys are only held as SHA-256 digests; the presented key's digest is compared with every one of
 * the consumer's in constant time, so timing reveals neither which nor how much matched. Returns the
 * digest (what plugins may key on; the key itself goes no further).
 */
export function authenticate(consumer: RuntimeConsumer, key: string | undefined): Buffer {
  if (!key) throw errors.missingKey();
  const digest = recentDigests.get(key) ?? createHash('sha256').update(key).digest();
  let ok = false;
  for (const h of consumer.keyHashes) {
    if (h.length === digest.length && timingSafeEqual(h, digest)) ok = true;
  }
  if (ok) {
    remember(key, digest);
    return digest;
  }
  if (consumer.gateway.consumersByKeyHash.has(digest.toString('hex'))) {
    throw errors.wrongConsumer(consumer.config.slug);
  }
  throw errors.invalidKey();
}

/**
 * Digests of keys that authenticated: hashing the key was the largest single cost of admitting a
 * request. Only keys that matched one of a consumer's are kept (a flood of wrong keys cannot fill
 * or churn it), at most RECENT_KEYS, the oldest dropped first; a key removed from the config still
 * fails, since the digest is checked against the consumer's every time. The cost: the presented
 * keys of recent callers stay in this process's memory (as they do, briefly, in every request's
 * headers) rather than only their digests.
 */
const recentDigests = new Map<string, Buffer>();
const RECENT_KEYS = 10_000;

function remember(key: string, digest: Buffer): void {
  if (recentDigests.has(key)) return;
  if (recentDigests.size >= RECENT_KEYS) recentDigests.delete(recentDigests.keys().next().value as string);
  recentDigests.set(key, digest);
}

/**
 * The route for a requested model: its own route, else a virtual model — `@{registry or
 * provider}/{model}` (one registry of `model`'s route, pinned) or `pool:{model}` (the first
 * priority group of the route named `model`) — else the catch-all. A virtual model's route is a
 * narrowed view (see `narrowRoute`) whose targets already carry the upstream model, so
 * `upstreamModel(target, requested)` is right for it too; its `model`, the metrics label, is
 * `@{name}/{route model}` or `pool:{model}`.
 */
export function findRoute(consumer: RuntimeConsumer, model: string): RuntimeRoute {
  const route = consumer.routes.get(model);
  if (route) return route;
  if (model.startsWith(PIN)) return pinnedRoute(consumer, model);
  if (model.startsWith(POOL)) return poolRoute(consumer, model);
  if (!consumer.catchAll) throw errors.unknownModel(model, consumer.modelIds);
  return consumer.catchAll;
}

const PIN = '@';
const POOL = 'pool:';

const virtualModelNotFound = (message: string) => new GatewayError(404, 'model_not_found', message);

/** `pool:{model}`: the targets of the route named `model` (never the catch-all), first group only. */
function poolRoute(consumer: RuntimeConsumer, requested: string): RuntimeRoute {
  const name = requested.slice(POOL.length);
  const route = consumer.routes.get(name);
  if (!route) {
    throw virtualModelNotFound(
      `The pool '${requested}' does not exist: this consumer has no route for model '${name}'.`,
    );
  }
  return narrowRoute(route, name, requested, () => true);
}

/**
 * `@{name}/{model}`: `model`'s route (its own, else the catch-all), only the targets of registry
 * `name` — or, when none of the consumer's registries is so named, of the one registry of provider
 * type `name` among the route's targets. No fallback to any other target.
 */
function pinnedRoute(consumer: RuntimeConsumer, requested: string): RuntimeRoute {
  const slash = requested.indexOf('/');
  const name = slash === -1 ? '' : requested.slice(PIN.length, slash);
  const model = slash === -1 ? '' : requested.slice(slash + 1);
  if (name === '' || model === '' || model === '*') {
    throw virtualModelNotFound(
      `The model '${requested}' does not exist: pin a registry as '@{registry}/{model}' or '@{provider}/{model}'.`,
    );
  }
  const route = consumer.routes.get(model) ?? consumer.catchAll;
  if (!route) throw errors.unknownModel(model, consumer.modelIds);
  const registry = pinnedRegistry(consumer, route, name, model);
  return narrowRoute(route, model, `@${name}/${route.model}`, (t) => t.registryName === registry);
}

/** The registry resource name `@{name}/…` pins among `route`'s targets; a 404 that says why otherwise. */
function pinnedRegistry(consumer: RuntimeConsumer, route: RuntimeRoute, name: string, model: string): string {
  const byName = route.targets.find((t) => t.registry.source.name === name);
  if (byName) return byName.registryName;
  if (registryNames(consumer).has(name)) {
    throw virtualModelNotFound(`The registry '${name}' is not a target of model '${model}'.`);
  }
  const ofProvider = [
    ...new Set(route.targets.filter((t) => t.registry.provider === name).map((t) => t.registryName)),
  ];
  const [only] = ofProvider;
  if (ofProvider.length === 1 && only !== undefined) return only;
  if (ofProvider.length > 1) {
    const names = ofProvider.map((r) => `'${r.slice(r.indexOf('/') + 1)}'`).join(', ');
    throw virtualModelNotFound(
      `The provider '${name}' has ${ofProvider.length} registries among the targets of model '${model}' (${names}): pin one by its registry name.`,
    );
  }
  throw virtualModelNotFound(
    `'${name}' is neither a registry of this consumer nor the provider of a target of model '${model}'.`,
  );
}

/** The names of the registries the consumer's routes use (a consumer knows no others). */
function registryNames(consumer: RuntimeConsumer): Set<string> {
  const names = new Set<string>();
  for (const route of [...consumer.routes.values(), ...(consumer.catchAll ? [consumer.catchAll] : [])]) {
    for (const t of route.targets) names.add(t.registry.source.name);
  }
  return names;
}

/** Weighted choice over all targets, health ignored; `random` in [0, 1). `routing/dispatch` is health-aware. */
export function pickTarget(
  route: Pick<RuntimeRoute, 'model' | 'targets' | 'cumulativeWeights' | 'totalWeight'>,
  random: number,
): RuntimeTarget | undefined {
  const n = route.targets.length;
  if (n === 0) return undefined;
  if (n === 1) return route.targets[0];
  const point = random * route.totalWeight;
  let lo = 0;
  let hi = n - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (point < (route.cumulativeWeights[mid] ?? 0)) hi = mid;
    else lo = mid + 1;
  }
  return route.targets[lo];
}

/** The model name sent upstream: the target's fixed model or the requested one, then the registry's aliases. */
export function upstreamModel(target: RuntimeTarget, requested: string): string {
  const name = target.model ?? requested;
  return target.registry.aliases[name] ?? name;
}
