import type { CompiledStrategy } from '@tollgate/protocol';
import type { RuntimeTarget } from '../config/snapshot';
import type { UpstreamHealth } from './health';

/** A target eligible for this try, with its long-lived health and load figures. */
export interface Candidate {
  readonly target: RuntimeTarget;
  readonly state: UpstreamHealth;
}

export interface PickContext {
  /** In [0, 1). */
  random: () => number;
  clientIp: string | undefined;
  /** The group's round-robin position. */
  cursor: { next: number };
}

type Strategy = (candidates: readonly Candidate[], ctx: PickContext) => Candidate;

/** Picks one of `candidates` (never empty) by the route's strategy. */
export function choose(
  strategy: CompiledStrategy,
  candidates: readonly Candidate[],
  ctx: PickContext,
): Candidate {
  const only = candidates[0];
  if (candidates.length === 1 && only) return only;
  return STRATEGIES[strategy](candidates, ctx);
}

const at = (candidates: readonly Candidate[], i: number): Candidate =>
  candidates[Math.min(Math.max(i, 0), candidates.length - 1)] as Candidate;

/** Random by weight. */
export const weighted: Strategy = (candidates, ctx) => {
  let total = 0;
  for (const c of candidates) total += c.target.weight;
  let point = ctx.random() * total;
  for (const c of candidates) {
    point -= c.target.weight;
    if (point < 0) return c;
  }
  return at(candidates, candidates.length - 1);
};

/** Uniform: weights ignored. */
export const random: Strategy = (candidates, ctx) =>
  at(candidates, Math.floor(ctx.random() * candidates.length));

/** In turn over the candidates of this try, weights ignored. */
export const roundRobin: Strategy = (candidates, ctx) => {
  const i = ctx.cursor.next % candidates.length;
  ctx.cursor.next = ctx.cursor.next >= Number.MAX_SAFE_INTEGER ? 0 : ctx.cursor.next + 1;
  return at(candidates, i);
};

/** Fewest requests in flight per unit of weight; ties go to a random one of them. */
export const leastConnections: Strategy = (candidates, ctx) => {
  const n = candidates.length;
  const start = Math.floor(ctx.random() * n);
  let best = at(candidates, start);
  let bestLoad = best.state.inflight / best.target.weight;
  for (let k = 1; k < n; k++) {
    const c = at(candidates, (start + k) % n);
    const load = c.state.inflight / c.target.weight;
    if (load < bestLoad) {
      best = c;
      bestLoad = load;
    }
  }
  return best;
};

/**
 * Weighted rendezvous hashing of the client IP: a client stays on its target, and when a target
 * leaves (ejected, already tried) only its own clients move. Without an IP: weighted random.
 */
export const ipHash: Strategy = (candidates, ctx) => {
  if (!ctx.clientIp) return weighted(candidates, ctx);
  let best = at(candidates, 0);
  let bestScore = Number.NEGATIVE_INFINITY;
  for (const c of candidates) {
    const u = (fnv1a(ctx.clientIp, c.state.key) + 0.5) / 4294967296;
    const score = c.target.weight / -Math.log(u);
    if (score > bestScore) {
      best = c;
      bestScore = score;
    }
  }
  return best;
};

/**
 * agentgateway-like: untried upstreams first (so every one gets measured), then the better of two
 * random choices by latency EWMA × (in-flight + 1) / weight. Two choices rather than the global
 * best, so a burst does not pile onto the one that looked fastest a moment ago.
 */
export const latencyAware: Strategy = (candidates, ctx) => {
  let untried = 0;
  for (const c of candidates) if (c.state.ewmaMs === undefined && c.state.inflight === 0) untried++;
  if (untried > 0) {
    let k = Math.floor(ctx.random() * untried);
    for (const c of candidates) {
      if (c.state.ewmaMs === undefined && c.state.inflight === 0 && k-- === 0) return c;
    }
  }
  const n = candidates.length;
  const i = Math.floor(ctx.random() * n);
  let j = Math.floor(ctx.random() * (n - 1));
  if (j >= i) j++;
  const a = at(candidates, i);
  const b = at(candidates, j);
  // Measured ones are compared with an unmeasured-but-busy one at the best known latency.
  const fallback = Math.min(a.state.ewmaMs ?? Infinity, b.state.ewmaMs ?? Infinity, Infinity);
  const guess = Number.isFinite(fallback) ? fallback : 1;
  return cost(a, guess) <= cost(b, guess) ? a : b;
};

function cost(c: Candidate, guess: number): number {
  return ((c.state.ewmaMs ?? guess) * (c.state.inflight + 1)) / c.target.weight;
}

const STRATEGIES: Record<CompiledStrategy, Strategy> = {
  Weighted: weighted,
  Random: random,
  RoundRobin: roundRobin,
  LeastConnections: leastConnections,
  IPHash: ipHash,
  LatencyAware: latencyAware,
};

/** 32-bit FNV-1a of two strings joined by a NUL: cheap, stable across processes and restarts. */
function fnv1a(a: string, b: string): number {
  let h = 0x811c9dc5;
  const mix = (s: string) => {
    for (let i = 0; i < s.length; i++) {
      h ^= s.charCodeAt(i);
      h = Math.imul(h, 0x01000193);
    }
  };
  mix(a);
  h ^= 0;
  h = Math.imul(h, 0x01000193);
  mix(b);
  // A final avalanche: FNV's low bits alone spread short, similar inputs (IPs) poorly.
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
