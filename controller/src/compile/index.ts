import {
  contentHash,
  resourceKey,
  RESOURCE_KINDS,
  type AnyResource,
  type CompiledBodies,
  type ResourceKind,
} from '../../../protocol/src';
import type { Consumer, Gateway, Policy, Registry, Secret, TollgateObject } from '../api/v1alpha1';
import { nsName } from './common';
import { compileConsumers } from './consumers';
import { compileGateways } from './gateways';
import { compilePolicies } from './policies';
import { compileRegistries } from './registries';
import { SecretIndex } from './secrets';
import type { ObjectStatus } from './status';

export type { ObjectStatus } from './status';

/**
 * compile: resources in, proxy config out. A pure function — no I/O, no clock, no randomness — so the
 * same input gives byte-identical output on every controller replica and in standalone mode.
 *
 * - Every object gets `Accepted` and `ResolvedRefs` conditions; one object's failure never stops the
 *   others. Defaults are applied here too: compile never trusts that an API server defaulted anything.
 * - Fields modelled by the CRDs but not implemented yet reject their object (`Unsupported`), never
 *   silently ignored.
 * - Gateway slugs are unique across namespaces, hostnames across gateways, consumer slugs within a
 *   gateway; the older object wins (`SlugConflict`, `HostnameConflict`).
 * - References are same-namespace. A registry whose credential Secret is missing is not emitted; a
 *   consumer keeps its other keys and targets when one is missing.
 * - API keys leave compile only as SHA-256 digests; secret values never appear in a status.
 * - Fleets: a gateway goes to its fleet, its consumers with it, a registry to every fleet whose
 *   consumers use it or whose policies embed prompts with it, a policy to every fleet of the
 *   gateways it covers. Versions are content hashes of the bodies; each Policy stays its own
 *   resource, so editing one sends only that one.
 * - Policies: see `compilePolicies` (validation, override and conflict rules).
 */
export interface CompileInput {
  objects: readonly TollgateObject[];
  secrets: readonly Secret[];
}

export interface CompileResult {
  resources: AnyResource[];
  fleets: Record<string, string[]>;
  statuses: ObjectStatus[];
}

export function compile(input: CompileInput): CompileResult {
  const of = <K extends TollgateObject['kind']>(kind: K) =>
    input.objects.filter((o): o is Extract<TollgateObject, { kind: K }> => o.kind === kind);
  const gateways = of('Gateway') as Gateway[];
  const registries = of('Registry') as Registry[];
  const consumers = of('Consumer') as Consumer[];
  const policies = of('Policy') as Policy[];
  const secrets = new SecretIndex(input.secrets);

  const g = compileGateways(gateways);
  const r = compileRegistries(registries, secrets);
  const c = compileConsumers(consumers, {
    gateways: g.accepted,
    knownGateways: new Set(gateways.map((x) => nsName(x.metadata))),
    registries: r.usable,
    knownRegistries: r.known,
    secrets,
  });
  const p = compilePolicies(policies, {
    gateways: g.accepted,
    knownGateways: new Set(gateways.map((x) => nsName(x.metadata))),
    consumers: c.emitted,
    knownConsumers: new Set(consumers.map((x) => nsName(x.metadata))),
    registries: r.usable,
    knownRegistries: r.known,
  });

  const resources: AnyResource[] = [];
  const fleets = new Map<string, Set<string>>();
  const addTo = (fleet: string, key: string) => {
    const set = fleets.get(fleet) ?? new Set<string>();
    set.add(key);
    fleets.set(fleet, set);
  };
  const emit = <K extends ResourceKind>(kind: K, name: string, body: CompiledBodies[K]) => {
    const resource = { kind, name, version: contentHash(body), body } as AnyResource;
    resources.push(resource);
    return resourceKey(resource);
  };

  for (const [name, body] of g.accepted) addTo(body.fleet, emit('Gateway', name, body));
  const registryFleets = new Map<string, Set<string>>();
  for (const [name, body] of c.emitted) {
    const fleet = g.accepted.get(body.gateway)?.fleet ?? 'default';
    addTo(fleet, emit('Consumer', name, body));
    for (const route of body.routes) {
      for (const t of route.targets) {
        const set = registryFleets.get(t.registry) ?? new Set<string>();
        set.add(fleet);
        registryFleets.set(t.registry, set);
      }
    }
  }
  for (const [name, body] of r.usable) {
    const key = emit('Registry', name, body);
    for (const fleet of registryFleets.get(name) ?? []) addTo(fleet, key);
  }
  // A policy goes to the fleet of every gateway it covers, directly or through a consumer.
  for (const [name, body] of p.emitted) {
    const key = emit('Policy', name, body);
    for (const t of body.targets) {
      const gatewayName = t.kind === 'Gateway' ? t.name : c.emitted.get(t.name)?.gateway;
      const fleet = gatewayName === undefined ? undefined : g.accepted.get(gatewayName)?.fleet;
      if (fleet === undefined) continue;
      addTo(fleet, key);
      // The cache's embedding Registry goes along, whether or not a consumer there routes to it.
      const embedder = body.plugins.semanticCache?.embeddingRegistry;
      if (embedder !== undefined) addTo(fleet, resourceKey({ kind: 'Registry', name: embedder }));
    }
  }

  const order = (kind: ResourceKind) => RESOURCE_KINDS.indexOf(kind);
  resources.sort((a, b) => order(a.kind) - order(b.kind) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const statuses = [...g.statuses, ...r.statuses, ...c.statuses, ...p.statuses]
    .map((s) => s.build())
    .sort(
      (a, b) =>
        order(a.kind) - order(b.kind) || (`${a.namespace}/${a.name}` < `${b.namespace}/${b.name}` ? -1 : 1),
    );
  const fleetRecord: Record<string, string[]> = {};
  for (const name of [...fleets.keys()].sort()) fleetRecord[name] = [...(fleets.get(name) ?? [])].sort();
  return { resources, fleets: fleetRecord, statuses };
}
