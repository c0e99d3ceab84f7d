export * from './types';
export * from './redact';
export * from './hash';
export * from './schema';
export * from './discovery';
export * from './capabilities';
