import { HnswVectorStore } from './hnsw-store';

/** A unit vector at `degrees` in the plane: cosine similarity to another is cos(angle between). */
const at = (degrees: number): number[] => {
  const r = (degrees * Math.PI) / 180;
  return [Math.cos(r), Math.sin(r), 0];
};

function store(options: { maxEntries?: number; initialCapacity?: number } = {}) {
  const clock = { now: 1_000 };
  const s = new HnswVectorStore<string>({ dimensions: 3, now: () => clock.now, ...options });
  return { s, clock };
}

const FOREVER = Number.MAX_SAFE_INTEGER;

describe('HnswVectorStore', () => {
  it('finds the nearest neighbour, most similar first, with its cosine similarity', async () => {
    const { s } = store();
    await s.add(at(0), 't', 'east', FOREVER);
    await s.add(at(90), 't', 'north', FOREVER);
    await s.add(at(30), 't', 'east-north-east', FOREVER);
    const hits = await s.search(at(20), 't', 3);
    expect(hits.map((h) => h.value)).toEqual(['east-north-east', 'east', 'north']);
    expect(hits[0]?.similarity).toBeCloseTo(Math.cos((10 * Math.PI) / 180), 5);
    expect(hits[1]?.similarity).toBeCloseTo(Math.cos((20 * Math.PI) / 180), 5);
    expect(hits[2]?.similarity).toBeCloseTo(Math.cos((70 * Math.PI) / 180), 5);
  });

  it('compares directions, not lengths (cosine space)', async () => {
    const { s } = store();
    await s.add([10, 0, 0], 't', 'long', FOREVER);
    const [hit] = await s.search([0.001, 0, 0], 't', 1);
    expect(hit?.value).toBe('long');
    expect(hit?.similarity).toBeCloseTo(1, 5);
  });

  it('only returns entries with exactly the tag asked for', async () => {
    const { s } = store();
    await s.add(at(0), 'model-a', 'a', FOREVER);
    await s.add(at(45), 'model-b', 'b', FOREVER);
    expect((await s.search(at(0), 'model-b', 5)).map((h) => h.value)).toEqual(['b']);
    expect(await s.search(at(0), 'model-c', 5)).toEqual([]);
  });

  it('never returns an expired entry, and expire() drops them (injected clock)', async () => {
    const { s, clock } = store();
    await s.add(at(0), 't', 'short', 2_000);
    await s.add(at(1), 't', 'long', 10_000);
    expect((await s.search(at(0), 't', 2)).map((h) => h.value)).toEqual(['short', 'long']);
    clock.now = 2_000; // expiresAt is exclusive
    expect((await s.search(at(0), 't', 2)).map((h) => h.value)).toEqual(['long']);
    expect(s.size).toBe(2);
    expect(await s.expire()).toBe(1);
    expect(s.size).toBe(1);
    clock.now = 10_000;
    expect(await s.search(at(0), 't', 2)).toEqual([]);
  });

  it('evicts the oldest entry when full, expired entries first', async () => {
    const { s, clock } = store({ maxEntries: 3 });
    await s.add(at(0), 't', 'first', FOREVER);
    await s.add(at(10), 't', 'second', 1_500);
    await s.add(at(20), 't', 'third', FOREVER);
    clock.now = 1_500; // "second" has expired: it goes, not the oldest
    await s.add(at(30), 't', 'fourth', FOREVER);
    expect(s.size).toBe(3);
    expect((await s.search(at(15), 't', 5)).map((h) => h.value).sort()).toEqual(['first', 'fourth', 'third']);
    await s.add(at(40), 't', 'fifth', FOREVER); // nothing expired: the oldest goes
    expect((await s.search(at(15), 't', 5)).map((h) => h.value).sort()).toEqual(['fifth', 'fourth', 'third']);
  });

  it('grows its capacity by doubling up to maxEntries, and reuses deleted slots after that', async () => {
    const { s } = store({ maxEntries: 50, initialCapacity: 2 });
    expect(s.slots).toBe(2);
    for (let i = 0; i < 40; i++) await s.add(at(i * 2), 't', `v${i}`, FOREVER);
    expect(s.slots).toBe(50);
    for (let i = 40; i < 500; i++) await s.add(at(i % 90), 't', `v${i}`, FOREVER);
    expect(s.size).toBe(50);
    expect(s.slots).toBe(50); // 500 inserts in 50 slots
    const hits = await s.search(at(45), 't', 50);
    expect(hits).toHaveLength(50);
    expect(new Set(hits.map((h) => h.value))).toEqual(
      new Set(Array.from({ length: 50 }, (_, i) => `v${450 + i}`)),
    );
  });

  it('deletes one entry by id', async () => {
    const { s } = store();
    await s.add(at(0), 't', 'a', FOREVER);
    await s.add(at(5), 't', 'b', FOREVER);
    const [hit] = await s.search(at(0), 't', 1);
    expect(await s.delete(hit?.id ?? -1)).toBe(true);
    expect(await s.delete(hit?.id ?? -1)).toBe(false);
    expect((await s.search(at(0), 't', 2)).map((h) => h.value)).toEqual(['b']);
  });

  it('evicts the n oldest on request', async () => {
    const { s } = store();
    for (const [i, v] of ['a', 'b', 'c', 'd'].entries()) await s.add(at(i), 't', v, FOREVER);
    expect(await s.evictOldest(2)).toBe(2);
    expect((await s.search(at(0), 't', 4)).map((h) => h.value).sort()).toEqual(['c', 'd']);
  });

  it('refuses a vector of another length', async () => {
    const { s } = store();
    await expect(s.add([1, 0], 't', 'x', FOREVER)).rejects.toThrow(
      'expected a vector of 3 dimensions, got 2',
    );
    await expect(s.search([1, 0, 0, 0], 't', 1)).rejects.toThrow(RangeError);
  });

  it('stays accurate at a realistic size (recall against brute force)', async () => {
    const dims = 32;
    const s = new HnswVectorStore<number>({ dimensions: dims, maxEntries: 2000 });
    let seed = 7;
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * 2 - 1;
    const vectors = Array.from({ length: 2000 }, () => Array.from({ length: dims }, rand));
    for (const [i, v] of vectors.entries()) await s.add(v, 't', i, FOREVER);
    const cos = (a: number[], b: number[]) => {
      let dot = 0;
      let na = 0;
      let nb = 0;
      for (let i = 0; i < a.length; i++) {
        dot += (a[i] ?? 0) * (b[i] ?? 0);
        na += (a[i] ?? 0) ** 2;
        nb += (b[i] ?? 0) ** 2;
      }
      return dot / Math.sqrt(na * nb);
    };
    let found = 0;
    for (let q = 0; q < 50; q++) {
      const query = Array.from({ length: dims }, rand);
      let best = 0;
      for (let i = 1; i < vectors.length; i++)
        if (cos(query, vectors[i] as number[]) > cos(query, vectors[best] as number[])) best = i;
      const [hit] = await s.search(query, 't', 1);
      if (hit?.value === best) found++;
    }
    expect(found).toBeGreaterThanOrEqual(48);
  });
});
