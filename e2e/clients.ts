import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';

/** How the tests' SDK clients reach a consumer: gateway by header, no retries of the SDK's own. */
export interface ClientOptions {
  /** The gateway's slug, sent as X-AG-Gateway-Slug (default `acme`). */
  gateway?: string;
  timeoutMs?: number;
}

/** The official OpenAI client for one consumer; `origin` is `http://127.0.0.1:{port}`. */
export function openAIFor(
  origin: string,
  consumerSlug: string,
  apiKey: string,
  o: ClientOptions = {},
): OpenAI {
  return new OpenAI({
    baseURL: `${origin}/${consumerSlug}/v1`,
    apiKey,
    defaultHeaders: { 'X-AG-Gateway-Slug': o.gateway ?? 'acme' },
    maxRetries: 0,
    timeout: o.timeoutMs ?? 10_000,
  });
}

/** The official Anthropic client for one consumer (it adds `/v1/messages` itself). */
export function anthropicFor(
  origin: string,
  consumerSlug: string,
  apiKey: string,
  o: ClientOptions = {},
): Anthropic {
  return new Anthropic({
    baseURL: `${origin}/${consumerSlug}`,
    apiKey,
    defaultHeaders: { 'X-AG-Gateway-Slug': o.gateway ?? 'acme' },
    maxRetries: 0,
    timeout: o.timeoutMs ?? 10_000,
  });
}
