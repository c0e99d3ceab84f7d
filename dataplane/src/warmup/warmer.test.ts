import { ConfigStore } from '../config/store';
import type { AdapterSet } from '../providers/types';
import { capturedLogger } from '../testing/log-capture';
import { registry } from '../testing/resources';
import { emptyReport, warmUp } from './run';
import { Warmer } from './warmer';

// The warm-up itself is warmup.test.ts's; here, only when the Warmer opens readiness around it.
jest.mock('./run', () => ({ ...jest.requireActual<typeof import('./run')>('./run'), warmUp: jest.fn() }));
const warmUpMock = warmUp as jest.MockedFunction<typeof warmUp>;

const report = (serial: number) => emptyReport(serial, []);

function warmer(store: ConfigStore): Warmer {
  const limits = { budgetMs: 100, requests: 10, concurrency: 1, connections: 0 };
  return new Warmer({ store, adapters: {} as AdapterSet, logger: capturedLogger('debug').logger, limits });
}

const change = (store: ConfigStore, n: number) => {
  const { version, ...rest } = registry('up');
  store.applyDelta([{ ...rest, version: `${version}-${n}` }], []);
};

afterEach(() => warmUpMock.mockReset());

describe('Warmer: readiness around the first config', () => {
  it('a config that changes during every warm-up: warmed again three times, then readiness opens', async () => {
    const store = new ConfigStore();
    const w = warmer(store);
    store.onChange(() => w.consider());
    let runs = 0;
    let openedBefore: number | undefined;
    // Each of the first ten warm-ups sees the config change while it runs (a controller still sending it).
    warmUpMock.mockImplementation(async (snapshot) => {
      runs++;
      await Promise.resolve(); // the Warmer holds this run as under way from here
      if (openedBefore === undefined && w.waiting() === undefined) openedBefore = runs;
      if (runs <= 10) change(store, runs);
      return report(snapshot.serial);
    });
    store.replaceAll([registry('up')]);
    store.markSynced();
    expect(w.waiting()).toBe('warming up');
    await w.idle();
    // The first warm-up and three more queued behind it ran before readiness; the fifth after it.
    expect(openedBefore).toBe(5);
    expect(runs).toBe(11);
  });

  it('a config that settles: readiness opens after the warm-up of its last change', async () => {
    const store = new ConfigStore();
    const w = warmer(store);
    store.onChange(() => w.consider());
    const serials: number[] = [];
    const readiness: (string | undefined)[] = [];
    warmUpMock.mockImplementation(async (snapshot) => {
      serials.push(snapshot.serial);
      await Promise.resolve();
      readiness.push(w.waiting());
      if (serials.length === 1) change(store, 1);
      return report(snapshot.serial);
    });
    store.replaceAll([registry('up')]);
    store.markSynced();
    await w.idle();
    expect(serials).toEqual([1, 2]);
    // Not ready while the change that came during the first warm-up was warmed.
    expect(readiness).toEqual(['warming up', 'warming up']);
    expect(w.waiting()).toBeUndefined();
  });
});
