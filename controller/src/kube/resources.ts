import type { Kind } from '../api/v1alpha1';
import { loadCrds } from '../manifests/crd-schemas';

let plurals: ReadonlyMap<Kind, string> | undefined;

/** The resource (plural) name of each kind, as its CRD in crds/ declares it: the API paths use it. */
export function pluralOf(kind: Kind): string {
  plurals ??= new Map([...loadCrds()].map(([k, crd]) => [k, crd.spec.names.plural]));
  const plural = plurals.get(kind);
  if (!plural) throw new Error(`no CRD for ${kind}`);
  return plural;
}
