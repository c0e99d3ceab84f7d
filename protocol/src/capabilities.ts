import type { CompiledProvider } from './types';

/**
 * Providers whose embeddings API is OpenAI's, the one the proxy calls: those with an `embeddings`
 * path in the dataplane's provider profiles, and the built-in mock (a test keeps the two in step).
 * The controller refuses a semantic cache embedding elsewhere; the proxy refuses `/v1/embeddings`.
 */
export const EMBEDDING_PROVIDERS: readonly CompiledProvider[] = [
  'openai',
  'azure-openai',
  'openai-compatible',
  'groq',
  'mistral',
  'deepseek',
  'mock',
];

export function servesEmbeddings(provider: CompiledProvider): boolean {
  return EMBEDDING_PROVIDERS.includes(provider);
}
