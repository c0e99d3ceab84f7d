import { Partitions } from './partitions';

const FOREVER = Number.MAX_SAFE_INTEGER;
const v = (x: number, y: number) => [x, y];

describe('Partitions', () => {
  it('keeps partitions apart', async () => {
    const p = new Partitions<string>();
    await p.add('policy|alice', v(1, 0), 't', 'alice’s', FOREVER);
    expect((await p.search('policy|alice', v(1, 0), 't', 1)).map((h) => h.value)).toEqual(['alice’s']);
    expect(await p.search('policy|bob', v(1, 0), 't', 1)).toEqual([]);
    expect(p.size).toBe(1);
  });

  it('bounds the entries of all partitions together: the least recently used give way', async () => {
    const p = new Partitions<string>({ maxEntries: 4 });
    await p.add('a', v(1, 0), 't', 'a1', FOREVER);
    await p.add('a', v(0, 1), 't', 'a2', FOREVER);
    await p.add('b', v(1, 0), 't', 'b1', FOREVER);
    await p.add('b', v(0, 1), 't', 'b2', FOREVER);
    await p.search('a', v(1, 0), 't', 1); // a is now the most recently used
    await p.add('c', v(1, 1), 't', 'c1', FOREVER);
    expect(p.size).toBe(4);
    expect((await p.search('b', v(1, 0), 't', 2)).map((h) => h.value)).toEqual(['b2']);
    expect((await p.search('a', v(1, 0), 't', 2)).map((h) => h.value).sort()).toEqual(['a1', 'a2']);
    await p.add('c', v(1, 2), 't', 'c2', FOREVER); // b's last entry goes, and b with it
    expect(p.partitions).toBe(2);
    expect(p.size).toBe(4);
  });

  it('bounds each partition', async () => {
    const p = new Partitions<number>({ maxEntriesPerPartition: 2 });
    for (let i = 0; i < 5; i++) await p.add('a', v(1, i), 't', i, FOREVER);
    expect(p.size).toBe(2);
    expect((await p.search('a', v(1, 4), 't', 5)).map((h) => h.value).sort()).toEqual([3, 4]);
  });

  it('starts a partition over when the vectors change length (another embedding model)', async () => {
    const p = new Partitions<string>();
    await p.add('a', v(1, 0), 't', 'old', FOREVER);
    expect(await p.search('a', [1, 0, 0], 't', 1)).toEqual([]);
    await p.add('a', [1, 0, 0], 't', 'new', FOREVER);
    expect(p.size).toBe(1);
    expect((await p.search('a', [1, 0, 0], 't', 1)).map((h) => h.value)).toEqual(['new']);
  });

  it('drops the partitions of caches no longer configured', async () => {
    const p = new Partitions<string>();
    await p.add('kept/x', v(1, 0), 't', 'x', FOREVER);
    await p.add('gone/y', v(1, 0), 't', 'y', FOREVER);
    p.retain(new Set(['kept']), (key) => key.split('/')[0] ?? '');
    expect(p.partitions).toBe(1);
    expect(p.size).toBe(1);
    expect(await p.search('gone/y', v(1, 0), 't', 1)).toEqual([]);
  });

  it('deletes an entry by id and keeps its count', async () => {
    const p = new Partitions<string>();
    await p.add('a', v(1, 0), 't', 'x', FOREVER);
    const [hit] = await p.search('a', v(1, 0), 't', 1);
    expect(await p.delete('a', hit?.id ?? -1)).toBe(true);
    expect(await p.delete('missing', 0)).toBe(false);
    expect(p.size).toBe(0);
  });
});
