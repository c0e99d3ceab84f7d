export { ConfigStore } from './config/store';
export { startDataplane, type Dataplane, type DataplaneOptions } from './server';
export { createLogger, type Logger } from './telemetry/logger';
export { DEFAULT_WARMUP } from './warmup/warmer';
export type { WarmupLimits } from './warmup/run';
