import type { CompiledPolicyPlugins, PluginName } from '../../../../protocol/src';
import { POLICY_PLUGINS, type PolicyPlugins } from '../../api/v1alpha1';
import type { StatusBuilder } from '../status';
import { compileBudget } from './budget';
import { compileCors } from './cors';
import { compilePromptGuard } from './prompt-guard';
import { compileRateLimit } from './rate-limit';
import { compileRequestSize } from './request-size';
import { compileTokenRateLimit } from './token-rate-limit';
import { compileSemanticCache, type PluginRefs } from './semantic-cache';

export type { PluginRefs } from './semantic-cache';

/** The plugins this release implements; the rest of the CRD's plugins are refused as not supported yet. */
export const SUPPORTED_PLUGINS: readonly PluginName[] = [
  'cors',
  'requestSize',
  'rateLimit',
  'tokenRateLimit',
  'budget',
  'promptGuard',
  'semanticCache',
];

const MODELLED: ReadonlySet<string> = new Set(POLICY_PLUGINS);

/**
 * Validates and normalises a Policy's plugins, every problem a precise rejection on `status`:
 * nothing about a plugin's configuration is left to be found at request time. `refs` resolves what
 * plugins reference (semanticCache's embedding Registry); without it nothing resolves.
 */
export function compilePlugins(
  status: StatusBuilder,
  plugins: PolicyPlugins,
  refs: PluginRefs = { namespace: status.namespace, registries: new Map(), knownRegistries: new Set() },
): CompiledPolicyPlugins {
  const out: CompiledPolicyPlugins = {};
  const names = Object.keys(plugins).sort();
  if (names.length === 0) status.reject('Invalid', 'spec.plugins: at least one plugin is required');
  for (const name of names) {
    const at = `spec.plugins.${name}`;
    const value: unknown = plugins[name as keyof PolicyPlugins];
    if (!MODELLED.has(name)) {
      status.reject('Invalid', `${at}: unknown plugin`);
    } else if (!(SUPPORTED_PLUGINS as readonly string[]).includes(name)) {
      status.reject('Unsupported', `${at} is not supported yet`);
    } else if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      status.reject('Invalid', `${at}: must be an object`);
    } else if (name === 'rateLimit' && plugins.rateLimit) {
      out.rateLimit = compileRateLimit(status, at, plugins.rateLimit);
    } else if (name === 'tokenRateLimit' && plugins.tokenRateLimit) {
      out.tokenRateLimit = compileTokenRateLimit(status, at, plugins.tokenRateLimit);
    } else if (name === 'budget' && plugins.budget) {
      out.budget = compileBudget(status, at, plugins.budget);
    } else if (name === 'requestSize' && plugins.requestSize) {
      out.requestSize = compileRequestSize(status, at, plugins.requestSize);
    } else if (name === 'cors' && plugins.cors) {
      out.cors = compileCors(status, at, plugins.cors);
    } else if (name === 'promptGuard' && plugins.promptGuard) {
      out.promptGuard = compilePromptGuard(status, at, plugins.promptGuard);
    } else if (name === 'semanticCache' && plugins.semanticCache) {
      const cache = compileSemanticCache(status, at, plugins.semanticCache, refs);
      if (cache) out.semanticCache = cache;
    }
  }
  return out;
}
