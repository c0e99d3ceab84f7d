import { Registry } from 'prom-client';
import type { Logger } from '@tollgate/dataplane';
import type { DataplaneFlags, RunFlags, ServeFlags } from '../args';
import { openManifests } from '../standalone';
import { countersProblem } from './counters';
import type { WorkerServeOptions } from './messages';
import { FanOutStore, startCluster, type Cluster } from './primary';

/** The proxy settings every worker gets from the flags. */
function workerOptions(flags: ServeFlags): WorkerServeOptions {
  return {
    host: flags.host,
    port: flags.port,
    logLevel: flags.logLevel,
    redisUrl: flags.redisUrl,
    maxConnections: flags.maxConnections,
    warmup: flags.warmup,
    maxSemiSpaceMb: flags.maxSemiSpaceMb,
    optimizeWasm: flags.optimizeWasm,
  };
}

/**
 * `tollgate run --workers N`: the primary loads, compiles and watches the manifests once and
 * feeds its workers. A config whose rate, token or budget limits would be counted per worker
 * (no --redis-url) is refused before anything listens.
 */
export async function startStandaloneCluster(flags: RunFlags, logger: Logger): Promise<Cluster> {
  const manifests = await openManifests({ paths: flags.files, fleet: flags.fleet, watch: flags.watch });
  const store = new FanOutStore();
  const registry = new Registry();
  const feed = await manifests.feed({ store, logger, registry });
  try {
    const problem = countersProblem(store.current.resources.values(), flags.workers, flags.redisUrl);
    if (problem) throw new Error(problem);
    const running = await startCluster({
      workers: flags.workers,
      serve: workerOptions(flags),
      opsPort: flags.opsPort,
      store,
      logger,
      registry,
    });
    return {
      ...running,
      async close(graceMs) {
        await feed.close();
        await running.close(graceMs);
      },
    };
  } catch (err) {
    await feed.close();
    throw err;
  }
}

/**
 * `tollgate dataplane --workers N`: the primary holds the one discovery stream (the caller starts
 * it on the returned store): it validates each resource against the protocol schema, ACKs what it
 * accepted and NACKs the rest, and the workers apply exactly what it accepted. Config arrives after
 * start, so a config that needs --redis-url is warned about (each time it changes) rather than refused.
 */
export function startDataplaneCluster(flags: DataplaneFlags, logger: Logger): Promise<Cluster> {
  return startCluster({
    workers: flags.workers,
    serve: workerOptions(flags),
    opsPort: flags.opsPort,
    store: new FanOutStore(),
    logger,
  });
}
