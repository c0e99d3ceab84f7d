// First, before any other module loads: the serving process's V8 settings (see the file).
import { startServing } from '../start-v8';
import { ConfigStore, createLogger, startDataplane, type Dataplane } from '@tollgate/dataplane';
import { isPrimaryMessage, type PrimaryMessage, type WorkerMessage } from './messages';

/**
 * A `--workers` worker: a proxy without an ops port, fed by its primary. It applies the config the
 * primary sends before listening, then every change in order; it answers /metrics asks, and drains
 * when told to. Signals go to the primary, which drains everyone: a terminal's Ctrl-C reaches the
 * whole process group, and is left to it. It starts as `tollgate run` and `tollgate dataplane` do
 * in one process, with the same V8 settings (start-v8.ts), the flags among them its primary's.
 */
const store = new ConfigStore();
let plane: Dataplane | undefined;
let draining = false;

const tell = (message: WorkerMessage) => process.send?.(message);

async function onMessage(message: PrimaryMessage): Promise<void> {
  switch (message.type) {
    case 'tollgate:start': {
      store.replaceAll(message.resources);
      if (message.synced) store.markSynced();
      const { options } = message;
      const logger = createLogger({ level: options.logLevel }).child({
        worker: Number(process.env.TOLLGATE_WORKER_SLOT),
      });
      // Held through the warm-up, as in one process; `plane` is set first, for a drain meanwhile.
      const started = await startServing(options, async (collectGarbage) => {
        plane = await startDataplane({
          host: options.host,
          port: options.port,
          opsPort: false,
          store,
          logger,
          redisUrl: options.redisUrl,
          http: { maxConnections: options.maxConnections },
          warmup: options.warmup,
          collectGarbage,
        });
        // The primary's readiness waits for every worker's message: warm (and collected) before it.
        await plane.warmedUp();
        return plane;
      });
      tell({ type: 'tollgate:listening', port: started.port });
      return;
    }
    case 'tollgate:config':
      store.applyDelta(message.updated, message.removed);
      return;
    case 'tollgate:synced':
      store.markSynced();
      return;
    case 'tollgate:metrics?':
      if (plane)
        tell({
          type: 'tollgate:metrics',
          id: message.id,
          metrics: await plane.metrics.registry.getMetricsAsJSON(),
        });
      return;
    case 'tollgate:drain':
      return drain(message.graceMs);
  }
}

async function drain(graceMs: number): Promise<void> {
  if (draining) return;
  draining = true;
  await plane?.close(graceMs);
  // The log's last batch is written asynchronously: a moment for it, then out.
  setTimeout(() => process.exit(0), 100);
}

process.on('message', (message: unknown) => {
  if (!isPrimaryMessage(message)) return;
  onMessage(message).catch((err: unknown) => {
    process.stderr.write(`tollgate worker: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
});
process.on('SIGTERM', () => undefined);
process.on('SIGINT', () => undefined);
// The primary is gone (killed): nobody will say drain, so drain now.
process.on('disconnect', () => void drain(10_000));
