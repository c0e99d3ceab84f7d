import type { Secret, TollgateObject } from '@tollgate/controller/api/v1alpha1';
import type { LoadResult } from '@tollgate/controller/manifests/load';
import { ManifestHistory } from './manifest-history';

/** Standalone mode's stand-in for the API server: generations, and objects kept per broken file. */
const consumer = (name: string, slug: string) =>
  ({
    apiVersion: 'tollgate.dev/v1alpha1',
    kind: 'Consumer',
    metadata: { name, namespace: 'default', generation: 1 },
    spec: { gatewayRef: { name: 'gw' }, slug, credentials: {}, routes: [] },
  }) as unknown as TollgateObject;
const secret = (value: string): Secret => ({
  apiVersion: 'v1',
  kind: 'Secret',
  metadata: { name: 's', namespace: 'default' },
  stringData: { key: value },
});

/** A load of `objects` from their files, with errors in `broken` files. */
function load(objects: [TollgateObject | Secret, string][], broken: string[] = []): LoadResult {
  const all = objects.map(([o]) => o);
  return {
    objects: all.filter((o): o is TollgateObject => o.kind !== 'Secret'),
    secrets: all.filter((o): o is Secret => o.kind === 'Secret'),
    errors: broken.map((file) => ({ file, document: 1, path: 'spec', message: 'bad' })),
    files: new Map(objects.map(([o, file]) => [`${o.kind}/default/${o.metadata.name}`, file])),
    skipped: [],
  };
}
const generations = (h: ManifestHistory, l: LoadResult) =>
  Object.fromEntries(h.next(l).input.objects.map((o) => [o.metadata.name, o.metadata.generation]));

describe('ManifestHistory', () => {
  it('numbers generations as the API server does: up by one on each spec change only', () => {
    const h = new ManifestHistory();
    expect(
      generations(
        h,
        load([
          [consumer('a', 'a'), 'a.yaml'],
          [consumer('b', 'b'), 'b.yaml'],
        ]),
      ),
    ).toEqual({
      a: 1,
      b: 1,
    });
    expect(
      generations(
        h,
        load([
          [consumer('a', 'a2'), 'a.yaml'],
          [consumer('b', 'b'), 'b.yaml'],
        ]),
      ),
    ).toEqual({
      a: 2,
      b: 1,
    });
    expect(generations(h, load([[consumer('a', 'a2'), 'a.yaml']]))).toEqual({ a: 2 });
    // Deleted, then back: a new object.
    expect(
      generations(
        h,
        load([
          [consumer('a', 'a2'), 'a.yaml'],
          [consumer('b', 'b2'), 'b.yaml'],
        ]),
      ),
    ).toEqual({
      a: 2,
      b: 1,
    });
  });

  it('keeps the previous version of what a broken file held; other files apply', () => {
    const h = new ManifestHistory();
    h.next(
      load([
        [consumer('a', 'a'), 'a.yaml'],
        [consumer('b', 'b'), 'b.yaml'],
        [secret('one'), 'b.yaml'],
      ]),
    );
    const r = h.next(
      load(
        [
          [consumer('b', 'b2'), 'b.yaml'],
          [secret('two'), 'b.yaml'],
        ],
        ['a.yaml'],
      ),
    );
    expect(r.kept).toEqual(['Consumer/default/a']);
    expect(r.input.objects.map((o) => [o.metadata.name, (o.spec as { slug: string }).slug])).toEqual([
      ['b', 'b2'],
      ['a', 'a'],
    ]);
    expect(r.input.secrets[0]?.stringData).toEqual({ key: 'two' });
    // Fixed: the kept version is replaced; its generation follows the kept one.
    const fixed = h.next(
      load([
        [consumer('a', 'a3'), 'a.yaml'],
        [consumer('b', 'b2'), 'b.yaml'],
      ]),
    );
    expect(fixed.kept).toEqual([]);
    expect(fixed.input.objects.find((o) => o.metadata.name === 'a')?.metadata.generation).toBe(2);
  });

  it('a file deleted is its objects deleted; a load that lists nothing keeps everything', () => {
    const h = new ManifestHistory();
    h.next(
      load([
        [consumer('a', 'a'), 'a.yaml'],
        [consumer('b', 'b'), 'b.yaml'],
      ]),
    );
    expect(h.next(load([[consumer('b', 'b'), 'b.yaml']])).input.objects).toHaveLength(1);
    const gone = h.next(load([], ['/no/such/dir']));
    expect(gone.kept).toEqual(['Consumer/default/b']);
    expect(gone.input.objects).toHaveLength(1);
  });
});
