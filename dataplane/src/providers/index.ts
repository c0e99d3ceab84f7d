import type { AdapterSet } from '../proxy/app';
import { createMockAdapter } from './mock';
import { createOpenAIAdapter } from './openai';

/** One adapter per provider type; OpenAI-compatible upstreams share the OpenAI wire adapter. */
export function createAdapters(): AdapterSet {
  const openai = createOpenAIAdapter();
  return { openai, 'openai-compatible': openai, mock: createMockAdapter() };
}
