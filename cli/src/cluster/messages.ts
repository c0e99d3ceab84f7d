import type { MetricObjectWithValues, MetricValue } from 'prom-client';
import type { AnyResource } from '@tollgate/protocol';
import type { WarmupLimits } from '@tollgate/dataplane';
import type { ServingV8Options } from '../start-v8';

/**
 * What the primary and its workers tell each other over the cluster's IPC channel (JSON). Config
 * flows one way, primary to workers, in the order the primary's store changed; each worker applies
 * the same changes to its own ConfigStore.
 */

/**
 * The proxy settings a worker starts with (the `run` / `dataplane` flags it needs), and its V8
 * settings as the primary resolved them from its flags (start-v8.ts: startServing).
 */
export interface WorkerServeOptions extends ServingV8Options {
  host: string;
  port: number;
  logLevel: string | undefined;
  redisUrl: string | undefined;
  maxConnections: number;
  /** Each worker warms up before it says it listens (readiness waits for every worker). */
  warmup: WarmupLimits | false;
}

export type PrimaryMessage =
  /** First message: the settings and the whole config as it is now; the worker listens after applying it. */
  | {
      type: 'tollgate:start';
      options: WorkerServeOptions;
      resources: AnyResource[];
      synced: boolean;
    }
  /** A change of the primary's config: upserts and removed resource keys, as ConfigStore.applyDelta takes them. */
  | { type: 'tollgate:config'; updated: AnyResource[]; removed: string[] }
  /** The primary's first full config is in: readiness. */
  | { type: 'tollgate:synced' }
  /** Asks for the worker's metrics (prom-client JSON), answered with the same id. */
  | { type: 'tollgate:metrics?'; id: number }
  /** Stop accepting, give in-flight requests `graceMs`, then exit 0. */
  | { type: 'tollgate:drain'; graceMs: number };

export type WorkerMetrics = MetricObjectWithValues<MetricValue<string>>[];

export type WorkerMessage =
  | { type: 'tollgate:listening'; port: number }
  | { type: 'tollgate:metrics'; id: number; metrics: WorkerMetrics };

const PRIMARY_TYPES = new Set<string>([
  'tollgate:start',
  'tollgate:config',
  'tollgate:synced',
  'tollgate:metrics?',
  'tollgate:drain',
]);
const WORKER_TYPES = new Set<string>(['tollgate:listening', 'tollgate:metrics']);

function typeOf(message: unknown): string | undefined {
  if (typeof message !== 'object' || message === null) return undefined;
  const type = (message as { type?: unknown }).type;
  return typeof type === 'string' ? type : undefined;
}

/** One of ours (prom-client and Node send their own messages on the same channel). */
export function isPrimaryMessage(message: unknown): message is PrimaryMessage {
  return PRIMARY_TYPES.has(typeOf(message) ?? '');
}

export function isWorkerMessage(message: unknown): message is WorkerMessage {
  return WORKER_TYPES.has(typeOf(message) ?? '');
}
