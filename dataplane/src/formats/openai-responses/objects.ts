import type { ChatRequest, StopReason, ToolCallPart, Usage } from '../ir';
import type { Json } from '../wire';
import { encodeFormat, encodeToolChoice, inputText } from './encode-request';
import { encodeUsage } from './usage';

/**
 * Builders of the Response object and its output items, shared by the whole-body encoder and the
 * stream encoder so that `response.completed` carries exactly what a non-streamed call returns.
 */

export type ResponseStatus = 'in_progress' | 'completed' | 'incomplete' | 'failed';
export type ItemStatus = 'in_progress' | 'completed' | 'incomplete';

/** Responses ids are `resp_…`; an upstream id of another format keeps its value after the prefix. */
export function responseId(id: string): string {
  return id.startsWith('resp_') ? id : `resp_${id}`;
}

/** The response status a stop reason means; stop sequences do not exist in Responses and read as completed. */
export function statusOf(stop: StopReason): {
  status: 'completed' | 'incomplete';
  reason?: 'max_output_tokens' | 'content_filter';
} {
  if (stop === 'max_tokens') return { status: 'incomplete', reason: 'max_output_tokens' };
  if (stop === 'content_filter') return { status: 'incomplete', reason: 'content_filter' };
  return { status: 'completed' };
}

export function outputText(text: string): Json {
  return { type: 'output_text', text, annotations: [], logprobs: [] };
}

export function messageItem(id: string, texts: string[], status: ItemStatus): Json {
  return { type: 'message', id, status, role: 'assistant', content: texts.map(outputText) };
}

export function functionCallItem(id: string, call: Omit<ToolCallPart, 'type'>, status: ItemStatus): Json {
  return { type: 'function_call', id, call_id: call.id, name: call.name, arguments: call.arguments, status };
}

export interface ResponseFields {
  id: string;
  model: string;
  createdAt: number;
  status: ResponseStatus;
  incompleteReason?: 'max_output_tokens' | 'content_filter';
  error?: { code: string; message: string };
  output: Json[];
  usage?: Usage;
  /**
   * The request, to echo its settings (tools, tool_choice, temperature, …) as OpenAI does. Without
   * it those fields say "unknown" (null) or hold the API defaults, never invented values.
   */
  req?: ChatRequest;
}

/** The whole Response object, with every field the `openai` SDK's `Response` type requires. */
export function responseObject(f: ResponseFields): Json {
  const req = f.req;
  return {
    id: responseId(f.id),
    object: 'response',
    created_at: f.createdAt,
    status: f.status,
    ...(f.status === 'completed' ? { completed_at: Math.floor(Date.now() / 1000) } : {}),
    background: false,
    error: f.error ?? null,
    incomplete_details: f.incompleteReason ? { reason: f.incompleteReason } : null,
    instructions: instructionsOf(req),
    max_output_tokens: req?.maxTokens ?? null,
    model: f.model,
    output: f.output,
    parallel_tool_calls: req?.parallelToolCalls ?? true,
    previous_response_id: null,
    store: false,
    temperature: req?.temperature ?? null,
    text: { format: req?.responseFormat ? encodeFormat(req.responseFormat) : { type: 'text' } },
    tool_choice: req?.toolChoice ? encodeToolChoice(req.toolChoice) : 'auto',
    tools: (req?.tools ?? []).map((t) => ({
      type: 'function',
      name: t.name,
      description: t.description ?? null,
      parameters: t.parameters,
      // The gateway passes schemas on without enforcing strict mode.
      strict: false,
    })),
    top_p: req?.topP ?? null,
    truncation: 'disabled',
    usage: f.usage ? encodeUsage(f.usage) : null,
    ...(req?.user !== undefined ? { user: req.user } : {}),
    metadata: {},
  };
}

function instructionsOf(req: ChatRequest | undefined): unknown {
  if (!req || req.system.length === 0) return null;
  if (req.system.length === 1) return req.system[0]?.text ?? null;
  return [{ type: 'message', role: 'system', content: req.system.map(inputText) }];
}
