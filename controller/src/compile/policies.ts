import type { CompiledPolicy, PluginName } from '@tollgate/protocol';
import type { Policy } from '../api/v1alpha1';
import { nsName, oldestFirst } from './common';
import type { Refs } from './memo';
import { compilePlugins } from './plugins';
import { StatusBuilder } from './status';

export interface CompiledPolicies {
  /** Emitted policies by `{namespace}/{name}`. */
  emitted: Map<string, CompiledPolicy>;
  statuses: StatusBuilder[];
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
/** One Policy on its own: its problems and, when it has none and targets something, its body. */
export interface PolicyDraft {
  status: StatusBuilder;
  /** The targets in the order the spec gives them, for conflict messages. */
  claimed: Target[];
  body?: CompiledPolicy;
}

export function compilePolicies(
  policies: readonly Policy[],
  draftOf: (p: Policy) => PolicyDraft,
): CompiledPolicies {
  const emitted = new Map<string, CompiledPolicy>();
  const statuses: StatusBuilder[] = [];
  /** `{kind}/{target}|{plugin}` → the Policy that set it first. */
  const claims = new Map<string, string>();

  for (const p of oldestFirst(policies)) {
    const { status, claimed, body } = draftOf(p);
    if (!body) {
      statuses.push(status);
      continue;
    }
    const ns = status.namespace;
    const names = Object.keys(body.plugins) as PluginName[];
    const conflicts: string[] = [];
    for (const t of claimed) {
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
      statuses.push(status.rejectedCopy('Conflict', conflicts.join('; ')));
      continue;
    }
    statuses.push(status);
    for (const t of claimed)
      for (const plugin of names) claims.set(`${t.kind}/${t.name}|${plugin}`, nsName(p.metadata));
    emitted.set(nsName(p.metadata), body);
  }
  return { emitted, statuses };
}

export function compilePolicy(p: Policy, refs: Refs): PolicyDraft {
  const status = new StatusBuilder('Policy', p.metadata);
  const ns = status.namespace;
  const spec = p.spec ?? ({} as Policy['spec']);

  const plugins = compilePlugins(status, spec.plugins ?? {}, { namespace: ns, registry: refs.registry });
  const parallel = spec.parallel ?? false;
  if (typeof parallel !== 'boolean') status.reject('Invalid', 'spec.parallel: must be true or false');

  const targets: Target[] = [];
  for (const [i, ref] of (spec.targetRefs ?? []).entries()) {
    const name = `${ns}/${ref.name}`;
    const state = ref.kind === 'Gateway' ? refs.gateway(name) : refs.consumer(name);
    if (state === 'accepted') {
      if (!targets.some((t) => t.kind === ref.kind && t.name === name))
        targets.push({ kind: ref.kind, name });
    } else if (state === 'rejected') {
      status.unresolvedRef(
        'RefNotAccepted',
        `spec.targetRefs[${i}]: ${ref.kind} '${ref.name}' is not accepted (see its conditions)`,
      );
    } else {
      status.unresolvedRef('RefNotFound', `spec.targetRefs[${i}]: ${ref.kind} '${ref.name}' not found`);
    }
  }
  // A plugin whose reference did not resolve is left out; a Policy left with none is not emitted.
  if (!status.accepted || targets.length === 0 || Object.keys(plugins).length === 0)
    return { status, claimed: targets };

  const sorted = [...targets].sort((a, b) =>
    a.kind !== b.kind ? (a.kind < b.kind ? -1 : 1) : a.name < b.name ? -1 : a.name > b.name ? 1 : 0,
  );
  return {
    status,
    claimed: targets,
    body: {
      source: { namespace: ns, name: p.metadata.name, generation: status.generation },
      targets: sorted,
      parallel: parallel === true,
      plugins,
    },
  };
}
