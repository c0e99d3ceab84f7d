export * from './types';
export * from './redact';
