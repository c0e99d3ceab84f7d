import type { Policy } from '../api/v1alpha1';
import { StatusBuilder } from './status';

/** Every plugin is modelled by the CRD but not implemented yet: refuse loudly, still check refs. */
export function compilePolicies(
  policies: readonly Policy[],
  known: { gateways: ReadonlySet<string>; consumers: ReadonlySet<string> },
): StatusBuilder[] {
  return policies.map((p) => {
    const status = new StatusBuilder('Policy', p.metadata);
    const plugins = Object.keys(p.spec?.plugins ?? {}).sort();
    if (plugins.length === 0) status.reject('Invalid', 'spec.plugins: at least one plugin is required');
    for (const name of plugins) status.reject('Unsupported', `spec.plugins.${name} is not supported yet`);
    for (const [i, ref] of (p.spec?.targetRefs ?? []).entries()) {
      const set = ref.kind === 'Gateway' ? known.gateways : known.consumers;
      if (!set.has(`${status.namespace}/${ref.name}`)) {
        status.unresolvedRef('RefNotFound', `spec.targetRefs[${i}]: ${ref.kind} '${ref.name}' not found`);
      }
    }
    return status;
  });
}
