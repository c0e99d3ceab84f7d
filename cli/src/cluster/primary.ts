import cluster, { type Worker } from 'node:cluster';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { Counter, Gauge, Registry } from 'prom-client';
import type { AnyResource } from '@tollgate/protocol';
import { ConfigStore, createOpsApp, diffResources, nextBackoff, type Logger } from '@tollgate/dataplane';
import { countersProblem } from './counters';
import { isWorkerMessage, type PrimaryMessage, type WorkerServeOptions } from './messages';
import { clusterMetricsText, MetricsAsks } from './metrics';

/**
 * The store a `--workers` primary keeps: its config source (manifests or the discovery stream)
 * writes here as in one process; every change and the first full sync are passed on to the workers.
 */
export class FanOutStore extends ConfigStore {
  private readonly syncedListeners = new Set<() => void>();

  override markSynced(): void {
    const first = !this.ready;
    super.markSynced();
    if (first) for (const l of this.syncedListeners) l();
  }

  onSynced(listener: () => void): void {
    this.syncedListeners.add(listener);
  }
}

export interface ClusterOptions {
  workers: number;
  serve: WorkerServeOptions;
  opsPort: number;
  store: FanOutStore;
  logger: Logger;
  /** The primary's own metrics (config reloads), shown after the workers' in /metrics. */
  registry?: Registry;
  /** Delay before a crashed worker is replaced: doubling from initialMs to maxMs while crashes repeat. */
  restart?: { initialMs: number; maxMs: number; stableMs: number };
  /** How long /metrics waits for the workers' answers. */
  metricsTimeoutMs?: number;
}

export interface Cluster {
  port: number;
  opsPort: number;
  store: FanOutStore;
  /** Readiness drops, every worker drains for `graceMs` and exits, then the ops port closes. */
  close(graceMs: number): Promise<void>;
}

const DEFAULT_RESTART = { initialMs: 100, maxMs: 10_000, stableMs: 10_000 };
/** Beyond the grace period, how long a draining worker may take to exit before it is killed. */
const EXIT_MARGIN_MS = 5_000;

/** The worker entry point beside this file (.js when built). */
const WORKER_MAIN = path.join(__dirname, `worker-main${path.extname(__filename)}`);

/**
 * `--workers N`: forks N workers that share the proxy port (node:cluster), feeds each the
 * primary's config over IPC, serves the ops port for all of them (ready = every worker listening
 * and the first config in; /metrics aggregated), replaces a worker that dies (with backoff) and
 * drains them all on close. Resolves once every worker listens.
 */
export async function startCluster(options: ClusterOptions): Promise<Cluster> {
  const { store, logger, serve, workers: count } = options;
  const restart = options.restart ?? DEFAULT_RESTART;
  const own = options.registry ?? new Registry();
  const workersGauge = new Gauge({
    name: 'tollgate_workers',
    help: 'Worker processes listening on the proxy port.',
    registers: [own],
  });
  const restarts = new Counter({
    name: 'tollgate_worker_restarts_total',
    help: 'Workers that exited unasked and were replaced.',
    registers: [own],
  });
  cluster.setupPrimary({ exec: WORKER_MAIN, args: [] });

  /** Slot (1..N) of each live worker, the ones listening, and per slot the restart backoff. */
  const slots = new Map<Worker, { slot: number; started: number }>();
  const listening = new Set<Worker>();
  const delays = new Map<number, number>();
  let closing = false;
  let port = 0;
  let allListening: (() => void) | undefined;
  let startFailed: ((err: Error) => void) | undefined;

  const send = (worker: Worker, message: PrimaryMessage) => {
    if (worker.isConnected()) worker.send(message);
  };
  const broadcast = (message: PrimaryMessage) => {
    for (const worker of slots.keys()) send(worker, message);
  };

  const fork = (slot: number) => {
    const worker = cluster.fork({ TOLLGATE_WORKER_SLOT: String(slot) });
    slots.set(worker, { slot, started: Date.now() });
    send(worker, {
      type: 'tollgate:start',
      options: serve,
      resources: [...store.current.resources.values()],
      synced: store.ready,
    });
  };

  fanOut(store, broadcast, (resources) => countersProblem(resources, count, serve.redisUrl), logger);

  const asks = new MetricsAsks(options.metricsTimeoutMs ?? 2_000);
  const gather = async (): Promise<string> => {
    const answers = await asks.ask([...listening], (worker, id) =>
      send(worker, { type: 'tollgate:metrics?', id }),
    );
    workersGauge.set(listening.size);
    return clusterMetricsText(answers, own);
  };

  cluster.on('message', (worker, message: unknown) => {
    if (!isWorkerMessage(message)) return;
    if (message.type === 'tollgate:metrics') return asks.answer(message.id, message.metrics);
    port = message.port;
    listening.add(worker);
    const slot = slots.get(worker)?.slot;
    logger.info({ worker: slot, pid: worker.process.pid, port }, 'worker started');
    if (listening.size === count) allListening?.();
  });

  cluster.on('exit', (worker, code, signal) => {
    const info = slots.get(worker);
    slots.delete(worker);
    listening.delete(worker);
    if (closing || !info) return;
    const { slot, started } = info;
    if (listening.size === 0 && port === 0) {
      // Not one worker came up: the next would fail alike (e.g. the port is taken).
      startFailed?.(new Error(`worker ${slot} exited (${signal ?? `code ${code}`}) before listening`));
      return;
    }
    const delay = restartDelay(delays.get(slot) ?? 0, Date.now() - started, restart);
    delays.set(slot, delay);
    restarts.inc();
    logger.error(
      { worker: slot, pid: worker.process.pid, code, signal, restartInMs: delay },
      'worker exited; starting a new one',
    );
    setTimeout(() => {
      if (!closing) fork(slot);
    }, delay).unref();
  });

  // The ops port first: a port in use fails before any worker is forked; /readyz says what is missing.
  const ops = createOpsApp({
    store,
    metrics: { registry: { contentType: Registry.PROMETHEUS_CONTENT_TYPE, metrics: gather } },
    accepting: () => !closing,
    waitingFor: () =>
      listening.size < count ? `${listening.size} of ${count} workers listening` : undefined,
    logger,
  });
  const opsServer = createServer(ops);
  await new Promise<void>((resolve, reject) => {
    opsServer.once('error', reject);
    opsServer.listen(options.opsPort, serve.host, resolve);
  });
  const opsPort = (opsServer.address() as AddressInfo).port;

  const started = new Promise<void>((resolve, reject) => {
    allListening = resolve;
    startFailed = reject;
  });
  for (let slot = 1; slot <= count; slot++) fork(slot);
  try {
    await started;
  } catch (err) {
    closing = true;
    for (const worker of slots.keys()) worker.process.kill('SIGKILL');
    opsServer.close();
    throw err;
  }
  allListening = undefined;
  startFailed = undefined;
  workersGauge.set(listening.size);

  logger.info({ host: serve.host, port, opsPort, workers: count }, 'dataplane listening');

  return {
    port,
    opsPort,
    store,
    async close(graceMs) {
      closing = true;
      const exits = [...slots.keys()].map(
        (worker) =>
          new Promise<void>((resolve) => {
            if (worker.isDead()) return resolve();
            const kill = setTimeout(() => worker.process.kill('SIGKILL'), graceMs + EXIT_MARGIN_MS);
            worker.once('exit', () => {
              clearTimeout(kill);
              resolve();
            });
            send(worker, { type: 'tollgate:drain', graceMs });
          }),
      );
      await Promise.all(exits);
      await new Promise<void>((resolve) => {
        opsServer.close(() => resolve());
        opsServer.closeAllConnections();
      });
      logger.info({ workers: count }, 'workers drained');
      logger.flush();
    },
  };
}

/**
 * Every change of the primary's store, in order, to every worker (upserts and removed keys), and
 * its first full sync; a warning each time the config's counting policies need a Redis it lacks.
 */
function fanOut(
  store: FanOutStore,
  broadcast: (message: PrimaryMessage) => void,
  countersProblemOf: (resources: Iterable<AnyResource>) => string | undefined,
  logger: Logger,
): void {
  let sent = store.current;
  let warned = '';
  store.onChange((next) => {
    const diff = diffResources(sent.resources, next.resources);
    const updated = [...diff.added, ...diff.changed]
      .map((key) => next.resources.get(key))
      .filter((r): r is AnyResource => r !== undefined);
    sent = next;
    broadcast({ type: 'tollgate:config', updated, removed: diff.removed });
    const problem = countersProblemOf(next.resources.values());
    if (problem && problem !== warned) logger.warn(problem);
    warned = problem ?? '';
  });
  store.onSynced(() => broadcast({ type: 'tollgate:synced' }));
}

/**
 * How long to wait before replacing a worker that exited after `livedMs`: doubling from the
 * slot's previous delay while crashes repeat, from the start again once a worker stayed up `stableMs`.
 */
export function restartDelay(
  previousMs: number,
  livedMs: number,
  restart: { initialMs: number; maxMs: number; stableMs: number },
  random = Math.random,
): number {
  return nextBackoff(livedMs > restart.stableMs ? 0 : previousMs, restart.initialMs, restart.maxMs, random);
}
