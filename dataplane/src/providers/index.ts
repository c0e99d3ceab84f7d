import type { AdapterSet } from './types';
import { createHttpAdapter } from './http';
import { createMockAdapter } from './mock';
import { PROFILES } from './profiles';

/** Every provider with a profile shares the one HTTP adapter (profiles make the difference); `mock` answers in-process. */
export function createAdapters(): AdapterSet {
  const http = createHttpAdapter();
  const adapters: AdapterSet = { mock: createMockAdapter() };
  for (const provider of Object.keys(PROFILES) as (keyof typeof PROFILES)[]) adapters[provider] = http;
  return adapters;
}
