import { consumer, gateway, registry, route } from '../testing/resources';
import { ConfigStore } from './store';

describe('ConfigStore', () => {
  it('is not ready until marked synced, and swaps whole snapshots', () => {
    const store = new ConfigStore();
    expect(store.ready).toBe(false);
    const first = store.replaceAll([
      gateway('a'),
      registry('r'),
      consumer('c', 'a', ['k'], [route('m', ['r'])]),
    ]);
    store.markSynced();
    expect(store.ready).toBe(true);
    expect(store.current).toBe(first);
    expect(first.gatewaysBySlug.get('a')?.consumersBySlug.get('c')?.routes.get('m')?.targets).toHaveLength(1);
  });

  it('applies deltas: upserts and removals by resource key, leaving old snapshots untouched', () => {
    const store = new ConfigStore();
    const seen: number[] = [];
    store.onChange((s) => seen.push(s.serial));
    const before = store.replaceAll([gateway('a'), gateway('b')]);
    const after = store.applyDelta([gateway('c', { hostnames: ['c.example.com'] })], ['Gateway/default/a']);
    expect([...after.gatewaysBySlug.keys()].sort()).toEqual(['b', 'c']);
    expect(after.gatewaysByHost.get('c.example.com')?.name).toBe('default/c');
    expect([...before.gatewaysBySlug.keys()].sort()).toEqual(['a', 'b']);
    expect(seen).toEqual([1, 2]);
  });

  it('skips targets whose registry is absent rather than guessing', () => {
    const store = new ConfigStore();
    const s = store.replaceAll([
      gateway('a'),
      registry('r'),
      consumer('c', 'a', ['k'], [route('m', ['r'], ['missing'])]),
    ]);
    const r = s.gatewaysBySlug.get('a')?.consumersBySlug.get('c')?.routes.get('m');
    expect(r?.targets.map((t) => t.registryName)).toEqual(['default/r']);
    expect(r?.totalWeight).toBe(1);
  });
});
