import type { CompiledPolicyPlugins, PluginName, Resource } from '@tollgate/protocol';

/** The order plugins run in within a stage (and policy groups are ordered by): cheap checks first. */
export const PLUGIN_ORDER: readonly PluginName[] = [
  'cors',
  'requestSize',
  'rateLimit',
  'tokenRateLimit',
  'budget',
  'promptGuard',
  // Last: guards mask before the cache keys a prompt, a budget downgrade picks the model it looks up.
  'semanticCache',
  // No request hooks: the MCP plane asks it about tool lists and calls.
  'toolGuard',
];

/** One plugin as it applies to a consumer, with the Policy that set it. */
export type EffectivePlugin = {
  [N in PluginName]: {
    readonly name: N;
    readonly config: NonNullable<CompiledPolicyPlugins[N]>;
    /** The Policy resource name `{namespace}/{name}`: it names the plugin's counters and metrics. */
    readonly policy: string;
    readonly parallel: boolean;
    readonly level: 'Gateway' | 'Consumer';
  };
}[PluginName];

/** A consumer's effective plugin set. Consumers with equal sets share one object within a snapshot. */
export interface EffectivePlugins {
  /** In PLUGIN_ORDER. */
  readonly list: readonly EffectivePlugin[];
  readonly byName: { readonly [N in PluginName]?: Extract<EffectivePlugin, { name: N }> };
}

const NO_PLUGINS: EffectivePlugins = Object.freeze({ list: [], byName: {} });

/**
 * A consumer's plugins: the Gateway-level Policies cover every consumer of the gateway, and a
 * Consumer-level Policy's setting of a plugin overrides the Gateway-level one. Compile never emits two
 * Policies setting one plugin on one target; should a proxy receive such a pair anyway, the first by
 * name wins, so every replica decides alike. Both lists must be sorted by name.
 */
export function resolvePlugins(
  gatewayPolicies: readonly Resource<'Policy'>[],
  consumerPolicies: readonly Resource<'Policy'>[],
): EffectivePlugin[] {
  const out: EffectivePlugin[] = [];
  for (const name of PLUGIN_ORDER) {
    const pick = (policies: readonly Resource<'Policy'>[], level: 'Gateway' | 'Consumer') => {
      for (const p of policies) {
        const config = p.body.plugins[name];
        if (config !== undefined) {
          return { name, config, policy: p.name, parallel: p.body.parallel, level } as EffectivePlugin;
        }
      }
      return undefined;
    };
    const chosen = pick(consumerPolicies, 'Consumer') ?? pick(gatewayPolicies, 'Gateway');
    if (chosen) out.push(chosen);
  }
  return out;
}

/** Interns plugin sets so consumers with the same set share one object (and one pipeline). */
export class PluginSetInterner {
  private readonly sets = new Map<string, EffectivePlugins>();

  intern(list: EffectivePlugin[]): EffectivePlugins {
    if (list.length === 0) return NO_PLUGINS;
    const key = list.map((p) => `${p.name}@${p.policy}`).join(',');
    let set = this.sets.get(key);
    if (!set) {
      const byName: Record<string, EffectivePlugin> = {};
      for (const p of list) byName[p.name] = p;
      set = Object.freeze({ list: Object.freeze(list), byName: Object.freeze(byName) }) as EffectivePlugins;
      this.sets.set(key, set);
    }
    return set;
  }
}
