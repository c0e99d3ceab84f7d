import type { AdapterSet } from '../proxy/app';
import { createHttpAdapter } from './http';
import { createMockAdapter } from './mock';

/** Every provider shares the one HTTP adapter (profiles make the difference); `mock` answers in-process. */
export function createAdapters(): AdapterSet {
  const http = createHttpAdapter();
  return {
    openai: http,
    'azure-openai': http,
    anthropic: http,
    bedrock: http,
    gemini: http,
    vertex: http,
    groq: http,
    mistral: http,
    deepseek: http,
    'openai-compatible': http,
    mock: createMockAdapter(),
  };
}
