import type { AnyResource } from '@tollgate/protocol';
import { gateway, registry } from '../testing/resources';
import { diffResources } from './diff';

const byKey = (...rs: AnyResource[]) => new Map(rs.map((r) => [`${r.kind}/${r.name}`, r]));

describe('diffResources', () => {
  it('tells added, changed (a new version) and removed resources apart, and ignores the unchanged', () => {
    const g = gateway('acme');
    const a = registry('a');
    const b = registry('b');
    const a2 = { ...a, version: 'v-a-2' } as AnyResource;
    const c = registry('c');
    expect(diffResources(byKey(g, a, b), byKey(g, a2, c))).toEqual({
      added: ['Registry/default/c'],
      changed: ['Registry/default/a'],
      removed: ['Registry/default/b'],
    });
  });

  it('is empty for the same resources', () => {
    const rs = byKey(gateway('acme'), registry('a'));
    expect(diffResources(rs, new Map(rs))).toEqual({ added: [], changed: [], removed: [] });
  });
});
