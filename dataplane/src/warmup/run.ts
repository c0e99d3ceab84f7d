import { setMaxListeners } from 'node:events';
import { randomBytes } from 'node:crypto';
import { openSync } from 'node:fs';
import { devNull } from 'node:os';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Pool } from '../providers/undici';
import { isModelRegistry } from '@tollgate/protocol';
import { ConfigStore } from '../config/store';
import type { Snapshot } from '../config/snapshot';
import { proxyPolicyEngine } from '../policies/proxy-engine';
import { RateLimiter } from '../policies/rate-limit/limiter';
import { createAdapters } from '../providers';
import type { AdapterSet } from '../providers/types';
import { createProxy } from '../proxy/app';
import { createProxyServer, DEFAULT_HTTP_LIMITS } from '../proxy/http-server';
import { batchedDestination, createLogger, type Logger } from '../telemetry/logger';
import { createMetrics } from '../telemetry/metrics';
import { createObservedHealth } from '../telemetry/routing-metrics';
import { startFakeUpstream } from './fake-upstream';
import type { WarmupLimits } from './limits';
import { fakeFormats, warmRequests, warmResources, type WarmRequest } from './plan';

export type { WarmupLimits } from './limits';

/** What one warm-up did, for the debug log. */
export interface WarmupReport {
  serial: number;
  /** The shapes sent (see WarmRequest.key). */
  shapes: string[];
  requests: number;
  /** Answers by status; a shape a policy refuses (429, 400, …) is warmed all the same. */
  statuses: Record<string, number>;
  /** Requests that failed without an answer. */
  failed: number;
  /** Requests still under way at the end of the budget, cut there (not in `requests`). */
  cut: number;
  /** A full GC ran between the two rounds (`collectGarbage`). */
  collected: boolean;
  /** Connections opened to the config's upstreams, ready for their first requests. */
  preconnected: number;
  ms: number;
}

/** A warm-up with `collectGarbage`'s second round: this share of `limits`' requests and time more. */
const SECOND_ROUND = 1 / 3;

/**
 * One warm-up of `snapshot`: the shapes `skip` does not hold (plan.ts) go, round-robin, through a
 * throwaway proxy — the real front door and request path, with a copy of the config whose upstreams
 * are an in-process fake, its own metrics registry, a logger that writes nowhere, in-process
 * counters and health of its own — served on 127.0.0.1 and closed afterwards: nothing the real proxy
 * counts, logs or reports sees it. Meanwhile the real adapters open `connections` connections to each
 * upstream origin of the config (no request sent).
 *
 * With `collectGarbage`, a second round follows the first, after it: a third of `limits`' requests,
 * for a third of its time more. A full GC while no request is under way finds the hidden classes of
 * the request objects dead, and V8 throws away the code it had optimised for them; the second round
 * has it optimised again before readiness, rather than the first real requests paying for it.
 */
export async function warmUp(
  snapshot: Snapshot,
  deps: { adapters: AdapterSet; level: string; collectGarbage?: () => void },
  limits: WarmupLimits,
  skip: ReadonlySet<string>,
): Promise<WarmupReport> {
  const started = performance.now();
  const deadline = started + limits.budgetMs;
  const preconnecting = preconnect(snapshot, deps.adapters, limits.connections);
  const key = `warmup-${randomBytes(16).toString('hex')}`;
  const requests = warmRequests(snapshot, key, skip);
  const report = emptyReport(
    snapshot.serial,
    requests.map((r) => r.key),
  );
  if (requests.length > 0) {
    const plan: Round[] = [{ requests: limits.requests, deadline }];
    if (deps.collectGarbage)
      plan.push({
        requests: Math.ceil(limits.requests * SECOND_ROUND),
        ms: limits.budgetMs * SECOND_ROUND,
        before: deps.collectGarbage,
      });
    await sendThrough(snapshot, key, requests, deps.level, limits, plan, report);
  }
  report.preconnected = await within(preconnecting, deadline, 0);
  report.ms = Math.round(performance.now() - started);
  return report;
}

/** The report of a warm-up of `shapes` before it has sent anything. */
export function emptyReport(serial: number, shapes: string[]): WarmupReport {
  return {
    serial,
    shapes,
    requests: 0,
    statuses: {},
    failed: 0,
    cut: 0,
    collected: false,
    preconnected: 0,
    ms: 0,
  };
}

/** A round of warm-up requests: `requests` at most, until `deadline` (or `ms` after it starts). */
interface Round {
  requests: number;
  deadline?: number;
  ms?: number;
  /** Runs before the round's first request, none under way. */
  before?: () => void;
}

/**
 * The requests, round-robin, round after round, through a throwaway proxy; the requests still under
 * way at the end of a round (a slow `mock` registry, say) are cut there.
 */
async function sendThrough(
  snapshot: Snapshot,
  key: string,
  requests: WarmRequest[],
  level: string,
  limits: WarmupLimits,
  rounds: Round[],
  report: WarmupReport,
): Promise<void> {
  const closers: (() => Promise<unknown>)[] = [];
  try {
    const fake = await startFakeUpstream(fakeFormats(snapshot));
    closers.push(() => fake.close());
    const client = await throwawayProxy(snapshot, fake.origin, key, level, limits.concurrency, closers);
    let next = 0;
    const send = async (r: WarmRequest, signal: AbortSignal) => {
      try {
        const res = await client.request({
          path: r.path,
          method: 'POST',
          headers: r.headers,
          body: r.body,
          signal,
        });
        await res.body.dump({ limit: Infinity, signal });
        report.statuses[res.statusCode] = (report.statuses[res.statusCode] ?? 0) + 1;
      } catch {
        if (signal.aborted) {
          report.cut++;
          return;
        }
        report.failed++;
      }
      report.requests++;
    };
    for (const round of rounds) {
      if (round.before) {
        round.before();
        report.collected = true;
      }
      const deadline = round.deadline ?? performance.now() + (round.ms ?? 0);
      const last = next + round.requests;
      const cut = new AbortController();
      // Each request in flight listens on it twice (the request, then its body).
      setMaxListeners(2 * limits.concurrency + 1, cut.signal);
      const timer = setTimeout(() => cut.abort(), Math.max(0, deadline - performance.now()));
      const loop = async () => {
        while (next < last && performance.now() < deadline)
          await send(requests[next++ % requests.length] as WarmRequest, cut.signal);
      };
      try {
        await Promise.all(Array.from({ length: limits.concurrency }, loop));
      } finally {
        clearTimeout(timer);
      }
    }
  } finally {
    for (const close of closers.reverse()) await close().catch(() => undefined);
  }
}

let sink: ReturnType<typeof batchedDestination> | undefined;

/**
 * Where the throwaway proxies' logs go: a batched destination as the real logger's, on /dev/null.
 * One for the process, never closed: a request cut at the end of a warm-up may still log after its
 * proxy is closed, and a closed destination would throw.
 */
export function warmupSink(): ReturnType<typeof batchedDestination> {
  sink ??= batchedDestination(openSync(devNull, 'w'));
  return sink;
}

/**
 * The real proxy's front door over a copy of the config whose upstreams are `origin`, with its own
 * adapters, policies (in-process counters), metrics, health and a logger that writes nowhere, served
 * on an ephemeral 127.0.0.1 port; returns a client of it. What to close is pushed on `closers`.
 */
async function throwawayProxy(
  snapshot: Snapshot,
  origin: string,
  key: string,
  level: string,
  connections: number,
  closers: (() => Promise<unknown>)[],
): Promise<Pool> {
  const store = new ConfigStore();
  store.replaceAll(warmResources(snapshot, origin, key));
  store.markSynced();
  // Built as the real proxy's parts are (same factories, same shapes), so that the code the warm-up
  // optimises meets the same kinds of objects when real traffic starts, and stays valid.
  const silent: Logger = createLogger({ level, destination: warmupSink() });
  const adapters = createAdapters();
  closers.push(() => Promise.all([...new Set(Object.values(adapters))].map((a) => a.close())));
  const metrics = createMetrics({ defaultMetrics: false });
  const limiter = new RateLimiter({ metrics, logger: silent });
  const policies = proxyPolicyEngine(limiter, store, adapters, metrics, silent);
  closers.push(() => policies.close());
  const proxy = createProxy({
    store,
    adapters,
    metrics,
    logger: silent,
    policies,
    health: createObservedHealth(metrics.registry),
    handoffs: [],
  });
  const server = createProxyServer(proxy.listener, DEFAULT_HTTP_LIMITS, silent);
  closers.push(() => {
    server.closeAllConnections();
    return new Promise((resolve) => server.close(resolve));
  });
  const client = new Pool(`http://127.0.0.1:${await listen(server)}`, { connections });
  closers.push(() => client.close());
  return client;
}

/** Opens `connections` connections to each model registry's origin (the pools skip an origin they know). */
async function preconnect(snapshot: Snapshot, adapters: AdapterSet, connections: number): Promise<number> {
  if (connections <= 0) return 0;
  const opening: Promise<number>[] = [];
  for (const r of snapshot.resources.values()) {
    if (r.kind !== 'Registry' || !isModelRegistry(r.body) || r.body.baseUrl === '') continue;
    const adapter = adapters[r.body.provider];
    if (adapter?.preconnect) opening.push(adapter.preconnect(r.body, connections).catch(() => 0));
  }
  return (await Promise.all(opening)).reduce((a, b) => a + b, 0);
}

/** `p`'s value, or `fallback` once the deadline has passed (p carries on). */
function within<T>(p: Promise<T>, deadline: number, fallback: T): Promise<T> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(fallback), Math.max(0, deadline - performance.now()));
    timer.unref();
    void p.then((v) => {
      clearTimeout(timer);
      resolve(v);
    });
  });
}

function listen(server: Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
  });
}
