import type { CompiledPolicyPlugins, PluginName } from '@tollgate/protocol';
import { POLICY_PLUGINS, type PolicyPlugins } from '../../api/v1alpha1';
import type { StatusBuilder } from '../status';
import { compileBudget } from './budget';
import { compileCors } from './cors';
import { compilePromptGuard } from './prompt-guard';
import { compileRateLimit } from './rate-limit';
import { compileRequestSize } from './request-size';
import { compileTokenRateLimit } from './token-rate-limit';
import { compileToolGuard } from './tool-guard';
import { compileSemanticCache, type PluginRefs } from './semantic-cache';

export type { PluginRefs } from './semantic-cache';

type Compiler<N extends PluginName> = (
  status: StatusBuilder,
  at: string,
  spec: NonNullable<PolicyPlugins[N]>,
  refs: PluginRefs,
) => CompiledPolicyPlugins[N] | undefined;

/** Each plugin the proxy implements and how its config is compiled (the types make it total). */
const COMPILERS: { readonly [N in PluginName]: Compiler<N> } = {
  cors: (status, at, spec) => compileCors(status, at, spec),
  requestSize: (status, at, spec) => compileRequestSize(status, at, spec),
  rateLimit: (status, at, spec) => compileRateLimit(status, at, spec),
  tokenRateLimit: (status, at, spec) => compileTokenRateLimit(status, at, spec),
  budget: (status, at, spec) => compileBudget(status, at, spec),
  promptGuard: (status, at, spec) => compilePromptGuard(status, at, spec),
  semanticCache: compileSemanticCache,
  toolGuard: (status, at, spec) => compileToolGuard(status, at, spec),
};

/** The plugins this release implements; the rest of the CRD's plugins are refused as not supported yet. */
export const SUPPORTED_PLUGINS = Object.keys(COMPILERS) as readonly PluginName[];

const MODELLED: ReadonlySet<string> = new Set(POLICY_PLUGINS);

/**
 * Validates and normalises a Policy's plugins, every problem a precise rejection on `status`:
 * nothing about a plugin's configuration is left to be found at request time. `refs` resolves what
 * plugins reference (semanticCache's embedding Registry); without it nothing resolves.
 */
export function compilePlugins(
  status: StatusBuilder,
  plugins: PolicyPlugins,
  refs: PluginRefs = { namespace: status.namespace, registry: () => 'missing' },
): CompiledPolicyPlugins {
  const out: Record<string, unknown> = {};
  const names = Object.keys(plugins).sort();
  if (names.length === 0) status.reject('Invalid', 'spec.plugins: at least one plugin is required');
  for (const name of names) {
    const at = `spec.plugins.${name}`;
    const value: unknown = plugins[name as keyof PolicyPlugins];
    const compiler = COMPILERS[name as PluginName] as Compiler<PluginName> | undefined;
    if (!MODELLED.has(name)) {
      status.reject('Invalid', `${at}: unknown plugin`);
    } else if (!compiler) {
      status.reject('Unsupported', `${at} is not supported yet`);
    } else if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      status.reject('Invalid', `${at}: must be an object`);
    } else {
      const compiled = compiler(status, at, value as NonNullable<PolicyPlugins[PluginName]>, refs);
      if (compiled !== undefined) out[name] = compiled;
    }
  }
  return out as CompiledPolicyPlugins;
}
