import { isModelRegistry, type ModelRegistry } from '@tollgate/protocol';
import type {
  AnyResource,
  CompiledConsumer,
  CompiledGateway,
  CompiledRegistry,
  CompiledRoute,
  CompiledStrategy,
  Resource,
} from '@tollgate/protocol';
import { resourceKey } from '@tollgate/protocol';
import { healthKey } from '../routing/health';
import { prepareConditions, type RuntimeCondition } from '../routing/match';
import { PluginSetInterner, resolvePlugins, type EffectivePlugins } from './effective';

/**
 * An immutable, fully indexed view of one config version. Everything the hot path looks up is a
 * Map built here, once per config change; a request holds the snapshot it started with.
 */
export interface Snapshot {
  /** Monotonic per store; for logs and config_dump. */
  readonly serial: number;
  readonly resources: ReadonlyMap<string, AnyResource>;
  readonly gatewaysBySlug: ReadonlyMap<string, RuntimeGateway>;
  readonly gatewaysByHost: ReadonlyMap<string, RuntimeGateway>;
  /**
   * API-key hash → every consumer holding that key, across all gateways: key-only addressing
   * (`/v1/...` with no consumer in the path) finds gateway and consumer here. More than one owner
   * means the key cannot address anything alone.
   */
  readonly keyOwners: ReadonlyMap<string, readonly RuntimeConsumer[]>;
}

export interface RuntimeGateway {
  readonly name: string;
  readonly config: CompiledGateway;
  readonly consumersBySlug: ReadonlyMap<string, RuntimeConsumer>;
  /** API-key hash → consumer, across the gateway: tells "wrong consumer" (403) from "unknown key" (401). */
  readonly consumersByKeyHash: ReadonlyMap<string, RuntimeConsumer>;
}

export interface RuntimeConsumer {
  readonly name: string;
  readonly config: CompiledConsumer;
  readonly gateway: RuntimeGateway;
  readonly keyHashes: readonly Buffer[];
  readonly routes: ReadonlyMap<string, RuntimeRoute>;
  readonly catchAll: RuntimeRoute | undefined;
  /** Names /v1/models lists. */
  readonly modelIds: readonly string[];
  /** The Policies' plugins in effect for this consumer (gateway-level, overridden per consumer). */
  readonly plugins: EffectivePlugins;
  /** The body limit: a requestSize plugin's maxBodyBytes, else the gateway's default. */
  readonly maxRequestBodyBytes: number;
}

export interface RuntimeTarget {
  readonly registryName: string;
  readonly registry: ModelRegistry;
  /** Fixed upstream model, or undefined to use the requested model. */
  readonly model: string | undefined;
  readonly weight: number;
  /** The registry's served models, or undefined when it passes any model through. */
  readonly served: ReadonlySet<string> | undefined;
  /** Fallback group: lower first. */
  readonly priority: number;
  /**
   * The health key (registry + upstream model) when the upstream model does not depend on the
   * request; undefined on a catch-all target without a model, whose key is made per request.
   */
  readonly key: string | undefined;
  /** Conditions that must all hold for the target to take a request; undefined: always eligible. */
  readonly match: readonly RuntimeCondition[] | undefined;
}

/** The targets of one priority, in config order. */
export interface RuntimeGroup {
  readonly priority: number;
  readonly targets: readonly RuntimeTarget[];
  /** RoundRobin's position: mutable, and per config version (a new snapshot starts over). */
  readonly cursor: { next: number };
}

export interface RuntimeRoute {
  /** The route's configured model name ("*" for the catch-all): a bounded metrics label. */
  readonly model: string;
  readonly targets: readonly RuntimeTarget[];
  /** Prefix sums of weights, for O(log n) weighted choice. */
  readonly cumulativeWeights: readonly number[];
  readonly totalWeight: number;
  readonly strategy: CompiledStrategy;
  /** Priority groups, lowest priority first; every target is in exactly one. */
  readonly groups: readonly RuntimeGroup[];
  /**
   * Whether a failed try may move on to the next priority group. False for the narrowed views of
   * `@registry/model` and `pool:model` requests: only the lowest group with an eligible target.
   */
  readonly fallback: boolean;
  /** Targets compile left out because their Registry did not resolve: named in the 503. */
  readonly unresolved?: CompiledRoute['unresolved'];
}

export function buildSnapshot(resources: readonly AnyResource[], serial: number): Snapshot {
  const byKey = new Map<string, AnyResource>();
  const registries = new Map<string, CompiledRegistry>();
  const gateways: Resource<'Gateway'>[] = [];
  const consumers: Resource<'Consumer'>[] = [];
  const policies: Resource<'Policy'>[] = [];
  for (const r of resources) {
    byKey.set(resourceKey(r), r);
    if (r.kind === 'Registry') registries.set(r.name, r.body);
    else if (r.kind === 'Gateway') gateways.push(r);
    else if (r.kind === 'Consumer') consumers.push(r);
    else if (r.kind === 'Policy') policies.push(r);
  }

  // `{kind}/{target}` → the policies attached to it, by name.
  const policiesOf = new Map<string, Resource<'Policy'>[]>();
  for (const p of policies.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    for (const t of p.body.targets) {
      const key = resourceKey(t);
      const list = policiesOf.get(key) ?? [];
      list.push(p);
      policiesOf.set(key, list);
    }
  }
  const interner = new PluginSetInterner();

  const consumersOf = new Map<string, Resource<'Consumer'>[]>();
  for (const c of consumers) {
    const list = consumersOf.get(c.body.gateway) ?? [];
    list.push(c);
    consumersOf.set(c.body.gateway, list);
  }

  const gatewaysBySlug = new Map<string, RuntimeGateway>();
  const gatewaysByHost = new Map<string, RuntimeGateway>();
  const keyOwners = new Map<string, RuntimeConsumer[]>();
  for (const g of gateways) {
    const consumersBySlug = new Map<string, RuntimeConsumer>();
    const consumersByKeyHash = new Map<string, RuntimeConsumer>();
    const gateway: RuntimeGateway = { name: g.name, config: g.body, consumersBySlug, consumersByKeyHash };
    const gatewayPolicies = policiesOf.get(`Gateway/${g.name}`) ?? [];
    for (const c of consumersOf.get(g.name) ?? []) {
      const plugins = interner.intern(
        resolvePlugins(gatewayPolicies, policiesOf.get(`Consumer/${c.name}`) ?? []),
      );
      const consumer = buildConsumer(c, gateway, registries, plugins);
      consumersBySlug.set(c.body.slug, consumer);
      for (const h of c.body.apiKeyHashes) {
        consumersByKeyHash.set(h, consumer);
        const owners = keyOwners.get(h);
        if (!owners) keyOwners.set(h, [consumer]);
        else if (!owners.includes(consumer)) owners.push(consumer);
      }
    }
    gatewaysBySlug.set(g.body.slug, gateway);
    for (const host of g.body.hostnames) gatewaysByHost.set(host, gateway);
  }

  return { serial, resources: byKey, gatewaysBySlug, gatewaysByHost, keyOwners };
}

function buildConsumer(
  c: Resource<'Consumer'>,
  gateway: RuntimeGateway,
  registries: ReadonlyMap<string, CompiledRegistry>,
  plugins: EffectivePlugins,
): RuntimeConsumer {
  const routes = new Map<string, RuntimeRoute>();
  let catchAll: RuntimeRoute | undefined;
  const modelIds = new Set<string>();
  for (const route of c.body.routes) {
    const runtime = buildRoute(route, registries);
    if (route.model === '*') {
      catchAll = runtime;
      for (const t of runtime.targets) for (const m of t.registry.models) modelIds.add(m);
    } else {
      routes.set(route.model, runtime);
      modelIds.add(route.model);
    }
  }
  return {
    name: c.name,
    config: c.body,
    gateway,
    keyHashes: c.body.apiKeyHashes.map((h) => Buffer.from(h, 'hex')),
    routes,
    catchAll,
    modelIds: [...modelIds].sort(),
    plugins,
    maxRequestBodyBytes:
      plugins.byName.requestSize?.config.maxBodyBytes ?? gateway.config.limits.maxRequestBodyBytes,
  };
}

function buildRoute(route: CompiledRoute, registries: ReadonlyMap<string, CompiledRegistry>): RuntimeRoute {
  const targets: RuntimeTarget[] = [];
  for (const t of route.targets) {
    const registry = registries.get(t.registry);
    // A target whose registry is absent (not yet received) is skipped, never guessed at.
    if (!registry || !isModelRegistry(registry) || t.weight <= 0) continue;
    const upstream = t.model ?? (route.model === '*' ? undefined : route.model);
    targets.push({
      registryName: t.registry,
      registry,
      model: t.model,
      weight: t.weight,
      served: registry.models.length > 0 ? new Set(registry.models) : undefined,
      priority: t.priority,
      key: upstream === undefined ? undefined : healthKey(t.registry, registry.aliases[upstream] ?? upstream),
      match: prepareConditions(t.match),
    });
  }
  return {
    model: route.model,
    targets,
    ...weightsOf(targets),
    strategy: route.strategy,
    groups: groupByPriority(targets),
    fallback: true,
    ...(route.unresolved ? { unresolved: route.unresolved } : {}),
  };
}

function weightsOf(targets: readonly RuntimeTarget[]): { cumulativeWeights: number[]; totalWeight: number } {
  const cumulativeWeights: number[] = [];
  let totalWeight = 0;
  for (const t of targets) {
    totalWeight += t.weight;
    cumulativeWeights.push(totalWeight);
  }
  return { cumulativeWeights, totalWeight };
}

/**
 * A view of `route` for one virtual model request (`@registry/model`, `pool:model`): only the
 * targets `keep` accepts, their upstream model fixed to `model` where the route left it to the
 * request, no fallback across priority groups, metrics label `label`. Groups keep their
 * round-robin cursors, so a view balances like its route does.
 */
export function narrowRoute(
  route: RuntimeRoute,
  model: string,
  label: string,
  keep: (t: RuntimeTarget) => boolean,
): RuntimeRoute {
  const fixed = new Map<RuntimeTarget, RuntimeTarget>();
  for (const t of route.targets) if (keep(t)) fixed.set(t, withModel(t, model));
  const groups: RuntimeGroup[] = [];
  for (const g of route.groups) {
    const targets = g.targets.flatMap((t) => fixed.get(t) ?? []);
    if (targets.length > 0) groups.push({ priority: g.priority, targets, cursor: g.cursor });
  }
  const targets = [...fixed.values()];
  return {
    model: label,
    targets,
    ...weightsOf(targets),
    strategy: route.strategy,
    groups,
    fallback: false,
  };
}

/** `t` sending `model` upstream unless it has its own; same health key as the route's target. */
function withModel(t: RuntimeTarget, model: string): RuntimeTarget {
  if (t.model !== undefined) return t;
  return { ...t, model, key: healthKey(t.registryName, t.registry.aliases[model] ?? model) };
}

function groupByPriority(targets: readonly RuntimeTarget[]): RuntimeGroup[] {
  const priorities = [...new Set(targets.map((t) => t.priority))].sort((a, b) => a - b);
  return priorities.map((priority) => ({
    priority,
    targets: targets.filter((t) => t.priority === priority),
    cursor: { next: 0 },
  }));
}
