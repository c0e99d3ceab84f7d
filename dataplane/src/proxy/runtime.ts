import type { ConfigStore } from '../config/store';
import type { PolicyEngine } from '../policies/engine';
import type { CallAbort } from '../providers/abort';
import type { AdapterSet } from '../providers/types';
import type { HealthRegistry } from '../routing/health';
import type { AccessLogWriter } from '../telemetry/access-log';
import type { Logger } from '../telemetry/logger';
import type { ProxyMetrics } from '../telemetry/metrics';

/** What the stages of the request path share: built once per proxy, never per request. */
export interface ProxyRuntime {
  readonly store: ConfigStore;
  readonly adapters: AdapterSet;
  readonly metrics: ProxyMetrics;
  readonly logger: Logger;
  /** `logger`'s access-log writer, looked up once. */
  readonly accessLog: AccessLogWriter;
  readonly random: () => number;
  readonly policies: PolicyEngine;
  readonly health: HealthRegistry;
  /** The requests that have called an upstream and are not done: what a shutdown must end. */
  readonly live: Set<CallAbort>;
}

/** Before its first config a proxy knows no gateway at all: that is 503 not_ready, not a 404. */
export function neverConfigured(rt: ProxyRuntime): boolean {
  return !rt.store.ready && rt.store.current.serial === 0;
}
