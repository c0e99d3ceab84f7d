import { KINDS } from '../api/v1alpha1';
import { loadCrds } from '../manifests/crd-schemas';
import { pluralOf } from './resources';

describe('pluralOf', () => {
  it("names each kind's API resource as its CRD does", () => {
    const crds = loadCrds();
    for (const kind of KINDS) {
      expect(pluralOf(kind)).toBe(crds.get(kind)?.spec.names.plural);
      expect(crds.get(kind)?.metadata.name).toBe(`${pluralOf(kind)}.tollgate.dev`);
    }
  });
});
