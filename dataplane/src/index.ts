/**
 * @tollgate/dataplane: the proxy — what the `tollgate` CLI composes. The discovery client (gRPC) is
 * the separate entry `@tollgate/dataplane/discovery/client`: importing this one never loads gRPC.
 * (Tests and the benchmarks may reach any module by its subpath, `@tollgate/dataplane/testing/...`.)
 */
export { ConfigStore } from './config/store';
export { diffResources, type ConfigDiff } from './config/diff';
export { nextBackoff } from './discovery/backoff';
export { createOpsApp, type OpsDeps } from './ops/app';
export { DEFAULT_HTTP_LIMITS, type HttpLimits } from './proxy/http-server';
export { startDataplane, type Dataplane, type DataplaneOptions } from './server';
export { createLogger, type Logger } from './telemetry/logger';
export { perRegistry } from './telemetry/prom';
export { DEFAULT_WARMUP } from './warmup/limits';
export type { WarmupLimits } from './warmup/limits';
