import { FanOutStore } from './primary';

describe('FanOutStore', () => {
  it('tells its listeners of the first full sync once, after the store is ready', () => {
    const store = new FanOutStore();
    const seen: boolean[] = [];
    store.onSynced(() => seen.push(store.ready));
    store.replaceAll([]);
    expect(seen).toEqual([]);
    store.markSynced();
    store.markSynced();
    expect(seen).toEqual([true]);
  });
});
