export * from './types';
export * from './redact';
export * from './hash';
