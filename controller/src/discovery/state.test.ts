import { diff, fleetViews } from './state';
import { TYPE_URLS, type AnyResource } from '@tollgate/protocol';

const entry = (name: string, version: string) => ({
  kind: 'Consumer' as const,
  name,
  version,
  json: Buffer.from('{}'),
});

describe('diff', () => {
  it('sends new and changed resources and removes what the client holds but the fleet no longer has', () => {
    const desired = new Map([
      ['ns/a', entry('ns/a', '1')],
      ['ns/b', entry('ns/b', '2')],
      ['ns/c', entry('ns/c', '3')],
    ]);
    const known = new Map([
      ['ns/a', '1'],
      ['ns/b', 'old'],
      ['ns/gone', '9'],
    ]);
    const d = diff(desired, known);
    expect(d.updated.map((e) => e.name)).toEqual(['ns/b', 'ns/c']);
    expect(d.removed).toEqual(['ns/gone']);
  });
  it('sends nothing to a client that is up to date', () => {
    const desired = new Map([['ns/a', entry('ns/a', '1')]]);
    expect(diff(desired, new Map([['ns/a', '1']]))).toEqual({ updated: [], removed: [] });
  });
});

describe('fleetViews', () => {
  it('gives each fleet only its resources, grouped by type URL, serialised once', () => {
    const gw = (name: string) =>
      ({ kind: 'Gateway', name, version: `v${name}`, body: { slug: name } }) as unknown as AnyResource;
    const views = fleetViews([gw('ns/a'), gw('ns/b')], { edge: ['Gateway/ns/a'], core: ['Gateway/ns/b'] });
    expect([...(views.get('edge')?.get(TYPE_URLS.Gateway)?.keys() ?? [])]).toEqual(['ns/a']);
    expect([...(views.get('core')?.get(TYPE_URLS.Gateway)?.keys() ?? [])]).toEqual(['ns/b']);
    expect(views.get('edge')?.get(TYPE_URLS.Gateway)?.get('ns/a')?.json.toString()).toBe('{"slug":"ns/a"}');
    expect(views.get('edge')?.get(TYPE_URLS.Consumer)?.size).toBe(0);
  });
});
