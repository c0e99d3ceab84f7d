import { setTimeout as sleep } from 'node:timers/promises';
import type { CompiledRegistry } from '@tollgate/protocol';
import { TranslationError, type Frame } from '../formats/ir';
import { openAIChatFormat, wantsStreamUsage } from '../formats/openai-chat';
import { newId, sseText } from '../formats/wire';
import { splitMockOptions, streamWithChoices, withOptions } from './mock-options';
import { embeddingList, embeddingsRequestError, modelList, openAIError } from '../formats/openai-wire';
import { scenarioEvents, scenarioReply } from './scenario';
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
          const invalid = embeddingsRequestError(call.body ?? {});
          if (invalid) return once(400, JSON_TYPE, JSON.stringify(invalid));
          const input = call.body?.input;
          const inputs = Array.isArray(input) ? input.map(String) : [String(input ?? '')];
          const dims = typeof call.body?.dimensions === 'number' ? call.body.dimensions : undefined;
          return once(200, JSON_TYPE, JSON.stringify(embeddingList(call.model, inputs, dims)));
        }
        // Every chat API arrives here translated to Chat Completions (the mock's native format).
        case 'messages':
        case 'responses':
        case 'chat.completions':
          return chat(call, s);
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

/**
 * A chat completion from the shared scenario (echo, tool calls, tool results), written by the
 * openai-chat codec: the same answer every provider mock gives. The mock is an upstream, so it
 * takes every Chat Completions option, also those the gateway's neutral request cannot carry
 * (see mock-options.ts). A malformed request is answered 400 `invalid_request`, as OpenAI answers
 * an invalid request.
 */
function chat(call: UpstreamCall, s: MockSettings): UpstreamResponse {
  const { body, options } = splitMockOptions(call.body ?? {});
  let req;
  try {
    req = openAIChatFormat.decodeRequest(body);
  } catch (err) {
    if (!(err instanceof TranslationError)) throw err;
    const error = openAIError(400, err.message, 'invalid_request');
    return once(400, JSON_TYPE, JSON.stringify({ error: { ...error.error, param: err.param ?? null } }));
  }
  req.model = call.model;
  const reply = scenarioReply(req, newId('chatcmpl-'), s.reply);
  if (!call.stream) {
    return once(200, JSON_TYPE, JSON.stringify(withOptions(openAIChatFormat.encodeResponse(reply), options)));
  }
  const encoder = openAIChatFormat.streamEncoder({ includeUsage: wantsStreamUsage(call.body ?? {}) });
  const encoded = [...scenarioEvents(reply).flatMap((e) => encoder.push(e)), ...encoder.end()];
  const frames = streamWithChoices(encoded, options.n);
  return {
    status: 200,
    headers: { 'content-type': 'text/event-stream' },
    body: streamFrames(frames, s.chunkDelayMs, call.signal.toSignal()),
  };
}

async function* streamFrames(
  frames: Frame[],
  delayMs: number,
  signal: AbortSignal,
): AsyncGenerator<Uint8Array> {
  for (const [i, frame] of frames.entries()) {
    if (i > 0 && delayMs > 0) await sleep(delayMs, undefined, { signal });
    yield Buffer.from(sseText([frame]));
  }
}
