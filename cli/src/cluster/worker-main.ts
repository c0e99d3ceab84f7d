import { ConfigStore, createLogger, startDataplane, type Dataplane } from '@tollgate/dataplane';
import { isPrimaryMessage, type PrimaryMessage, type WorkerMessage } from './messages';

/**
 * A `--workers` worker: a proxy without an ops port, fed by its primary. It applies the config the
 * primary sends before listening, then every change in order; it answers /metrics asks, and drains
 * when told to. Signals go to the primary, which drains everyone: a terminal's Ctrl-C reaches the
 * whole process group, and is left to it.
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
      plane = await startDataplane({
        host: options.host,
        port: options.port,
        opsPort: false,
        store,
        logger,
        redisUrl: options.redisUrl,
        http: { maxConnections: options.maxConnections },
        warmup: options.warmup,
      });
      // The primary's readiness waits for every worker's message: warm before it.
      await plane.warmedUp();
      tell({ type: 'tollgate:listening', port: plane.port });
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
