import type {
  CompiledConsumer,
  CompiledGateway,
  CompiledPolicy,
  CompiledRegistry,
  PluginName,
} from '../../../protocol/src';
import type { Policy } from '../api/v1alpha1';
import { byAge, nsName } from './common';
import { compilePlugins } from './plugins';
import { StatusBuilder } from './status';

export interface CompiledPolicies {
  /** Emitted policies by `{namespace}/{name}`. */
  emitted: Map<string, CompiledPolicy>;
  statuses: StatusBuilder[];
}

interface Context {
  gateways: ReadonlyMap<string, CompiledGateway>;
  knownGateways: ReadonlySet<string>;
  consumers: ReadonlyMap<string, CompiledConsumer>;
  knownConsumers: ReadonlySet<string>;
  /** Registries plugins may reference (semanticCache's embedding Registry). */
  registries: ReadonlyMap<string, CompiledRegistry>;
  knownRegistries: ReadonlySet<string>;
}

type Target = CompiledPolicy['targets'][number];

/**
 * Policies attach plugins to Gateways (all their consumers) and Consumers; a Consumer-level setting
 * of a plugin overrides the Gateway-level one (the proxy resolves that per consumer).
 *
 * - Every plugin is validated here; an invalid or not-yet-supported plugin rejects its Policy.
 * - Targets that do not resolve are dropped (`ResolvedRefs=False`); a Policy left with none is not emitted.
 * - Two Policies setting the same plugin on the same target at the same level conflict: the older
 *   one (creationTimestamp, then namespace/name, as Gateway API does) wins, the other is rejected
 *   whole with `Accepted=False, reason Conflict` and not emitted.
 */
export function compilePolicies(policies: readonly Policy[], ctx: Context): CompiledPolicies {
  const emitted = new Map<string, CompiledPolicy>();
  const statuses: StatusBuilder[] = [];
  /** `{kind}/{target}|{plugin}` → the Policy that set it first. */
  const claims = new Map<string, string>();

  for (const p of [...policies].sort(byAge)) {
    const status = new StatusBuilder('Policy', p.metadata);
    statuses.push(status);
    const ns = status.namespace;
    const spec = p.spec ?? ({} as Policy['spec']);

    const plugins = compilePlugins(status, spec.plugins ?? {}, {
      namespace: ns,
      registries: ctx.registries,
      knownRegistries: ctx.knownRegistries,
    });
    const parallel = spec.parallel ?? false;
    if (typeof parallel !== 'boolean') status.reject('Invalid', 'spec.parallel: must be true or false');

    const targets: Target[] = [];
    for (const [i, ref] of (spec.targetRefs ?? []).entries()) {
      const name = `${ns}/${ref.name}`;
      const [usable, known] =
        ref.kind === 'Gateway'
          ? [ctx.gateways.has(name), ctx.knownGateways.has(name)]
          : [ctx.consumers.has(name), ctx.knownConsumers.has(name)];
      if (usable) {
        if (!targets.some((t) => t.kind === ref.kind && t.name === name))
          targets.push({ kind: ref.kind, name });
      } else if (known) {
        status.unresolvedRef(
          'RefNotAccepted',
          `spec.targetRefs[${i}]: ${ref.kind} '${ref.name}' is not accepted (see its conditions)`,
        );
      } else {
        status.unresolvedRef('RefNotFound', `spec.targetRefs[${i}]: ${ref.kind} '${ref.name}' not found`);
      }
    }
    // A plugin whose reference did not resolve is left out; a Policy left with none is not emitted.
    if (!status.accepted || targets.length === 0 || Object.keys(plugins).length === 0) continue;

    const names = Object.keys(plugins) as PluginName[];
    const conflicts: string[] = [];
    for (const t of targets) {
      for (const plugin of names) {
        const winner = claims.get(`${t.kind}/${t.name}|${plugin}`);
        if (winner) {
          conflicts.push(
            `spec.plugins.${plugin}: ${t.kind} '${t.name.slice(ns.length + 1)}' already has ${plugin} from Policy ${winner} (the older Policy wins)`,
          );
        }
      }
    }
    if (conflicts.length > 0) {
      status.reject('Conflict', conflicts.join('; '));
      continue;
    }
    for (const t of targets)
      for (const plugin of names) claims.set(`${t.kind}/${t.name}|${plugin}`, nsName(p.metadata));

    targets.sort((a, b) =>
      a.kind !== b.kind ? (a.kind < b.kind ? -1 : 1) : a.name < b.name ? -1 : a.name > b.name ? 1 : 0,
    );
    emitted.set(nsName(p.metadata), {
      source: { namespace: ns, name: p.metadata.name, generation: status.generation },
      targets,
      parallel: parallel === true,
      plugins,
    });
  }
  return { emitted, statuses };
}
