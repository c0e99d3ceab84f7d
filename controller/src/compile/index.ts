import {
  contentHash,
  resourceKey,
  RESOURCE_KINDS,
  type AnyResource,
  type CompiledBodies,
  type ResourceKind,
} from '@tollgate/protocol';
import type { Consumer, Gateway, Policy, Registry, Secret, TollgateObject } from '../api/v1alpha1';
import { nsName } from './common';
import { compileConsumer, compileConsumers } from './consumers';
import { compileGateway, compileGateways } from './gateways';
import { LastAccepted } from './last-accepted';
import type { CompileOptions } from './mcp';
import type { MemoStats, RefState, Refs } from './memo';
import { compilePolicies, compilePolicy } from './policies';
import { compileRegistries, compileRegistry } from './registries';
import { SecretIndex } from './secrets';
import type { ObjectStatus } from './status';

export type { ObjectStatus } from './status';
export type { MemoStats } from './memo';
export type { CompileOptions } from './mcp';

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

/** What one compile did per kind: objects compiled, and objects whose previous result still held. */
export type CompileStats = Record<TollgateObject['kind'], MemoStats>;

/**
 * `compile` with memory: each object's result is kept and reused while the object and everything
 * it read are unchanged, so a change recompiles only what it affects (its own object and the ones
 * that read it) plus the cheap passes across all objects (conflicts, fleets). Its output is
 * exactly `compile(input)`'s but for one thing a fresh compile cannot know: an object whose newer
 * generation is rejected keeps its last accepted generation served (see `LastAccepted`). The
 * controller and standalone mode keep one for their lifetime.
 */
export class Compiler {
  private readonly gateways = new LastAccepted(compileGateway);
  private readonly registries: LastAccepted<Registry, ReturnType<typeof compileRegistry>>;
  private readonly consumers = new LastAccepted(compileConsumer);
  private readonly policies = new LastAccepted(compilePolicy);
  private last: CompileStats | undefined;

  constructor(options: CompileOptions = {}) {
    this.registries = new LastAccepted((r: Registry, refs: Refs) => compileRegistry(r, refs, options));
  }

  /** The last compile's counts (tests, logs). */
  get stats(): CompileStats | undefined {
    return this.last;
  }

  compile(input: CompileInput): CompileResult {
    const result = this.run(input);
    this.last = {
      Gateway: this.gateways.finish(),
      Registry: this.registries.finish(),
      Consumer: this.consumers.finish(),
      Policy: this.policies.finish(),
    };
    return result;
  }

  private run(input: CompileInput): CompileResult {
    const of = <K extends TollgateObject['kind']>(kind: K) =>
      input.objects.filter((o): o is Extract<TollgateObject, { kind: K }> => o.kind === kind);
    const gateways = of('Gateway') as Gateway[];
    const registries = of('Registry') as Registry[];
    const consumers = of('Consumer') as Consumer[];
    const policies = of('Policy') as Policy[];
    const secrets = new SecretIndex(input.secrets);
    const state = (usable: ReadonlyMap<string, unknown>, known: ReadonlySet<string>) => (name: string) =>
      usable.has(name) ? 'accepted' : known.has(name) ? 'rejected' : 'missing';
    const knownGateways = new Set(gateways.map((x) => nsName(x.metadata)));
    const knownConsumers = new Set(consumers.map((x) => nsName(x.metadata)));
    // Each kind reads only kinds compiled before it, so these are filled in as compile goes.
    let gatewayState: (name: string) => RefState = () => 'missing';
    let consumerState: (name: string) => RefState = () => 'missing';
    let registryOf: Refs['registry'] = () => 'missing';
    const refs: Refs = {
      gateway: (name) => gatewayState(name),
      consumer: (name) => consumerState(name),
      registry: (name) => registryOf(name),
      secret: (namespace, ref, field) => secrets.lookup(namespace, ref, field),
    };

    const g = this.gateways.pass(gateways, refs, compileGateways);
    gatewayState = state(g.accepted, knownGateways);
    const r = this.registries.pass(registries, refs, compileRegistries);
    registryOf = (name) => r.usable.get(name) ?? (r.known.has(name) ? 'rejected' : 'missing');
    const c = this.consumers.pass(consumers, refs, (all, draftOf) =>
      compileConsumers(all, draftOf, (name) => g.accepted.get(name)),
    );
    consumerState = state(c.emitted, knownConsumers);
    const p = this.policies.pass(policies, refs, compilePolicies);

    const resources: AnyResource[] = [];
    const fleets = new Map<string, Set<string>>();
    const addTo = (fleet: string, key: string) => {
      const set = fleets.get(fleet) ?? new Set<string>();
      set.add(key);
      fleets.set(fleet, set);
    };
    const emit = <K extends ResourceKind>(kind: K, name: string, body: CompiledBodies[K]) => {
      const resource = { kind, name, version: hashOf(body), body } as AnyResource;
      resources.push(resource);
      return resourceKey(resource);
    };

    for (const [name, body] of g.accepted) addTo(body.fleet, emit('Gateway', name, body));
    const registryFleets = new Map<string, Set<string>>();
    for (const [name, body] of c.emitted) {
      const fleet = g.accepted.get(body.gateway)?.fleet ?? 'default';
      addTo(fleet, emit('Consumer', name, body));
      const used = [
        ...body.routes.flatMap((route) => route.targets.map((t) => t.registry)),
        ...(body.mcp?.servers.map((s) => s.registry) ?? []),
        ...(body.a2a?.agents.map((a) => a.registry) ?? []),
      ];
      for (const registry of used) {
        const set = registryFleets.get(registry) ?? new Set<string>();
        set.add(fleet);
        registryFleets.set(registry, set);
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
    resources.sort(
      (a, b) => order(a.kind) - order(b.kind) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0),
    );
    const statuses = [...g.statuses, ...r.statuses, ...c.statuses, ...p.statuses]
      .map((builder) => {
        const status = builder.build();
        return { status, key: `${order(status.kind)}|${status.namespace}/${status.name}` };
      })
      .sort((a, b) => (a.key < b.key ? -1 : 1))
      .map((k) => k.status);
    const fleetRecord: Record<string, string[]> = {};
    for (const name of [...fleets.keys()].sort()) fleetRecord[name] = [...(fleets.get(name) ?? [])].sort();
    return { resources, fleets: fleetRecord, statuses };
  }
}

/** Resources in, proxy config out, in one go (tests, tools): a fresh `Compiler` with nothing kept. */
export function compile(input: CompileInput, options: CompileOptions = {}): CompileResult {
  return new Compiler(options).compile(input);
}

/** Bodies are never changed once compiled, and a kept body is the same object: hash each once. */
const hashes = new WeakMap<object, string>();
function hashOf(body: object): string {
  let hash = hashes.get(body);
  if (hash === undefined) {
    hash = contentHash(body);
    hashes.set(body, hash);
  }
  return hash;
}
