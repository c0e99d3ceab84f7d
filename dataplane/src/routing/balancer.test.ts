import type { CompiledStrategy } from '@tollgate/protocol';
import { routeOf, seeded, type TargetSpec } from '../testing/routing';
import { choose, type Candidate } from './balancer';
import { HealthRegistry } from './health';

function candidatesOf(specs: TargetSpec[]): Candidate[] {
  const { route } = routeOf(specs);
  const health = new HealthRegistry();
  return route.targets.map((target) => ({
    target,
    state: health.get(target.key ?? '', target.registryName, 'chat'),
  }));
}

function tally(
  strategy: CompiledStrategy,
  candidates: Candidate[],
  n: number,
  ctx: { random?: () => number; clientIp?: (i: number) => string | undefined } = {},
): Record<string, number> {
  const random = ctx.random ?? seeded(7);
  const cursor = { next: 0 };
  const counts: Record<string, number> = {};
  for (let i = 0; i < n; i++) {
    const c = choose(strategy, candidates, { random, clientIp: ctx.clientIp?.(i), cursor });
    const name = c.target.registryName.replace('default/', '');
    counts[name] = (counts[name] ?? 0) + 1;
  }
  return counts;
}

describe('Weighted', () => {
  it('splits 3:1 exactly over evenly spaced random numbers', () => {
    const cs = candidatesOf([
      { registry: 'a', weight: 3 },
      { registry: 'b', weight: 1 },
    ]);
    let i = 0;
    expect(tally('Weighted', cs, 400, { random: () => i++ / 400 })).toEqual({ a: 300, b: 100 });
  });
});

describe('Random', () => {
  it('ignores weights: about even', () => {
    const cs = candidatesOf([
      { registry: 'a', weight: 9 },
      { registry: 'b', weight: 1 },
    ]);
    const counts = tally('Random', cs, 10_000);
    expect(counts.a).toBeGreaterThan(4_700);
    expect(counts.b).toBeGreaterThan(4_700);
  });
});

describe('RoundRobin', () => {
  it('takes the candidates in turn', () => {
    const cs = candidatesOf([{ registry: 'a' }, { registry: 'b' }, { registry: 'c' }]);
    const cursor = { next: 0 };
    const order = Array.from(
      { length: 7 },
      () =>
        choose('RoundRobin', cs, { random: Math.random, clientIp: undefined, cursor }).target.registryName,
    );
    expect(order.map((n) => n.slice(-1))).toEqual(['a', 'b', 'c', 'a', 'b', 'c', 'a']);
  });
});

describe('LeastConnections', () => {
  it('picks the fewest in flight per weight', () => {
    const [a, b, c] = candidatesOf([{ registry: 'a' }, { registry: 'b', weight: 4 }, { registry: 'c' }]);
    if (!a || !b || !c) throw new Error('fixture');
    a.state.inflight = 2;
    b.state.inflight = 6; // 1.5 per weight
    c.state.inflight = 3;
    expect(tally('LeastConnections', [a, b, c], 50)).toEqual({ b: 50 });
  });

  it('breaks ties at random', () => {
    const cs = candidatesOf([{ registry: 'a' }, { registry: 'b' }]);
    const counts = tally('LeastConnections', cs, 1000);
    expect(counts.a).toBeGreaterThan(400);
    expect(counts.b).toBeGreaterThan(400);
  });
});

describe('IPHash', () => {
  const specs = [{ registry: 'a' }, { registry: 'b' }, { registry: 'c' }, { registry: 'd' }];
  const pickFor = (cs: Candidate[], ip: string) =>
    choose('IPHash', cs, { random: Math.random, clientIp: ip, cursor: { next: 0 } }).target.registryName;
  const ips = Array.from({ length: 400 }, (_, i) => `10.0.${i >> 8}.${i & 255}`);

  it('keeps each client IP on one target, and spreads IPs across targets', () => {
    const cs = candidatesOf(specs);
    const first = ips.map((ip) => pickFor(cs, ip));
    expect(ips.map((ip) => pickFor(cs, ip))).toEqual(first);
    const counts = tally('IPHash', cs, ips.length, { clientIp: (i) => ips[i] });
    for (const n of ['a', 'b', 'c', 'd']) expect(counts[n]).toBeGreaterThan(60);
  });

  it('moves only the clients of a target that leaves', () => {
    const cs = candidatesOf(specs);
    const without = cs.filter((c) => !c.target.registryName.endsWith('/b'));
    for (const ip of ips) {
      const before = pickFor(cs, ip);
      if (!before.endsWith('/b')) expect(pickFor(without, ip)).toBe(before);
    }
  });

  it('honours weights', () => {
    const cs = candidatesOf([
      { registry: 'a', weight: 3 },
      { registry: 'b', weight: 1 },
    ]);
    const counts = tally('IPHash', cs, ips.length, { clientIp: (i) => ips[i] });
    expect(counts.a).toBeGreaterThan(250);
    expect(counts.b).toBeGreaterThan(60);
  });

  it('falls back to weighted random without a client IP', () => {
    const cs = candidatesOf(specs);
    expect(Object.keys(tally('IPHash', cs, 400))).toHaveLength(4);
  });
});

describe('LatencyAware', () => {
  it('tries every untried target first', () => {
    const cs = candidatesOf([{ registry: 'a' }, { registry: 'b' }, { registry: 'c' }]);
    const [a, b] = cs;
    if (!a || !b) throw new Error('fixture');
    a.state.ewmaMs = 5;
    b.state.ewmaMs = 5;
    expect(tally('LatencyAware', cs, 20)).toEqual({ c: 20 });
  });

  it('prefers the faster upstream, and the idler one at equal speed', () => {
    const [fast, slow] = candidatesOf([{ registry: 'fast' }, { registry: 'slow' }]);
    if (!fast || !slow) throw new Error('fixture');
    fast.state.ewmaMs = 50;
    slow.state.ewmaMs = 500;
    expect(tally('LatencyAware', [fast, slow], 200)).toEqual({ fast: 200 });
    slow.state.ewmaMs = 50;
    fast.state.inflight = 3;
    expect(tally('LatencyAware', [fast, slow], 200)).toEqual({ slow: 200 });
  });

  it('scales the score by weight', () => {
    const [a, b] = candidatesOf([
      { registry: 'a', weight: 10 },
      { registry: 'b', weight: 1 },
    ]);
    if (!a || !b) throw new Error('fixture');
    a.state.ewmaMs = 100; // 100 × 1 / 10 = 10
    b.state.ewmaMs = 20; // 20 × 1 / 1 = 20
    expect(tally('LatencyAware', [a, b], 100)).toEqual({ a: 100 });
  });

  it('with many targets, never picks the slowest (power of two choices)', () => {
    const cs = candidatesOf([{ registry: 'a' }, { registry: 'b' }, { registry: 'c' }]);
    cs.forEach((c, i) => (c.state.ewmaMs = (i + 1) * 10));
    const counts = tally('LatencyAware', cs, 3000);
    expect(counts.c).toBeUndefined();
    expect(counts.a).toBeGreaterThan(counts.b ?? 0);
  });
});
