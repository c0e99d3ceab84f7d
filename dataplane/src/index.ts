export { ConfigStore } from './config/store';
export { startDataplane, type Dataplane, type DataplaneOptions } from './server';
export { createLogger, type Logger } from './telemetry/logger';
