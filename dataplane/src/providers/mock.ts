import { setTimeout as sleep } from 'node:timers/promises';
import type { CompiledRegistry } from '../../../protocol/src';
import {
  SSE_DONE,
  chatCompletion,
  chatCompletionChunks,
  embeddingList,
  lastUserText,
  modelList,
  openAIError,
  promptText,
  sseEncode,
} from './openai-wire';
import type { ProviderAdapter, UpstreamCall, UpstreamResponse } from './types';

type MockSettings = NonNullable<CompiledRegistry['mock']>;
const DEFAULTS: MockSettings = { latencyMs: 0, chunkDelayMs: 0, failureRate: 0, failureStatus: 500 };
const JSON_TYPE = { 'content-type': 'application/json' };

/**
 * The built-in `mock` provider: answers in OpenAI's format without any network, for demos, tests and
 * benchmarks. Failures are deterministic: with failureRate r, call n fails when floor(n·r) advances,
 * so 0.5 fails every second call and 1 fails every call.
 */
export function createMockAdapter(): ProviderAdapter {
  const calls = new Map<string, number>();
  return {
    async send(call: UpstreamCall): Promise<UpstreamResponse> {
      const s = { ...DEFAULTS, ...call.registry.mock };
      if (s.latencyMs > 0) await sleep(s.latencyMs, undefined, { signal: call.signal.toSignal() });
      const key = `${call.registry.source.namespace}/${call.registry.source.name}`;
      const n = (calls.get(key) ?? 0) + 1;
      calls.set(key, n);
      if (Math.floor(n * s.failureRate) > Math.floor((n - 1) * s.failureRate)) {
        return once(
          s.failureStatus,
          JSON_TYPE,
          JSON.stringify(openAIError(s.failureStatus, 'mock failure', 'mock_failure')),
        );
      }
      switch (call.operation) {
        case 'models':
          return once(200, JSON_TYPE, JSON.stringify(modelList(call.registry.models, 'mock')));
        case 'embeddings': {
          const input = call.body?.input;
          const inputs = Array.isArray(input) ? input.map(String) : [String(input ?? '')];
          const dims = typeof call.body?.dimensions === 'number' ? call.body.dimensions : undefined;
          return once(200, JSON_TYPE, JSON.stringify(embeddingList(call.model, inputs, dims)));
        }
        // Every chat API arrives here translated to Chat Completions (the mock's native format).
        case 'messages':
        case 'responses':
        case 'chat.completions': {
          const prompt = promptText(call.body);
          const reply = s.reply ?? `Echo: ${lastUserText(call.body)}`;
          if (!call.stream)
            return once(200, JSON_TYPE, JSON.stringify(chatCompletion(call.model, prompt, reply)));
          const opts = call.body?.stream_options as { include_usage?: unknown } | undefined;
          const chunks = chatCompletionChunks(call.model, prompt, reply, opts?.include_usage === true);
          return {
            status: 200,
            headers: { 'content-type': 'text/event-stream' },
            body: streamChunks(chunks, s.chunkDelayMs, call.signal.toSignal()),
          };
        }
      }
    },
    async close() {},
  };
}

function once(status: number, headers: Record<string, string>, body: string): UpstreamResponse {
  return {
    status,
    headers,
    body: (async function* () {
      yield Buffer.from(body);
    })(),
  };
}

async function* streamChunks(
  chunks: object[],
  delayMs: number,
  signal: AbortSignal,
): AsyncGenerator<Uint8Array> {
  for (const [i, chunk] of chunks.entries()) {
    if (i > 0 && delayMs > 0) await sleep(delayMs, undefined, { signal });
    yield Buffer.from(sseEncode(chunk));
  }
  yield Buffer.from(SSE_DONE);
}
