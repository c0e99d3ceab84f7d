import type { ChatRequest, ChatResponse, StopReason, TextPart, ToolCallPart } from '../ir';
import { isObject, newId, UpstreamFormatError, type Json } from '../wire';
import { functionCallItem, messageItem, responseObject, statusOf, type ItemStatus } from './objects';
import { decodeUsage } from './usage';

/**
 * The neutral response → a Response object. Runs of text become one `message` item (one
 * `output_text` part per text part); each tool call is a `function_call` item whose `call_id` is the
 * neutral id. `req`, when the caller has it, is echoed into the request-setting fields.
 */
export function encodeResponse(res: ChatResponse, req?: ChatRequest): Record<string, unknown> {
  const { status, reason } = statusOf(res.stopReason);
  const output: Json[] = [];
  let run: string[] = [];
  const flush = (itemStatus: ItemStatus) => {
    if (run.length > 0) output.push(messageItem(newId('msg_'), run, itemStatus));
    run = [];
  };
  res.content.forEach((p, i) => {
    // A cut-off response's last item is the one left unfinished.
    const last = i === res.content.length - 1;
    const itemStatus: ItemStatus = last && status === 'incomplete' ? 'incomplete' : 'completed';
    if (p.type === 'text') {
      run.push(p.text);
      if (last) flush(itemStatus);
    } else {
      flush('completed');
      output.push(functionCallItem(newId('fc_'), p, itemStatus));
    }
  });
  return responseObject({
    id: res.id,
    model: res.model,
    createdAt: Math.floor(Date.now() / 1000),
    status,
    ...(reason ? { incompleteReason: reason } : {}),
    output,
    ...(res.usage ? { usage: res.usage } : {}),
    ...(req ? { req } : {}),
  });
}

/** An upstream Response object → the neutral response. */
export function decodeResponse(body: unknown): ChatResponse {
  if (
    !isObject(body) ||
    body.object !== 'response' ||
    typeof body.id !== 'string' ||
    !Array.isArray(body.output)
  )
    throw new UpstreamFormatError('not an OpenAI Responses response object');
  const status = body.status;
  if (status === 'failed' || isObject(body.error))
    throw new UpstreamFormatError(`upstream response failed: ${errorMessage(body.error)}`);
  if (status !== undefined && status !== 'completed' && status !== 'incomplete')
    throw new UpstreamFormatError(`upstream response is '${String(status)}', not finished`);

  const content: (TextPart | ToolCallPart)[] = [];
  for (const raw of body.output) {
    if (!isObject(raw)) throw new UpstreamFormatError('response output item is not an object');
    if (raw.type === 'message') {
      if (!Array.isArray(raw.content)) throw new UpstreamFormatError('message item without content');
      for (const part of raw.content) content.push({ type: 'text', text: partText(part) });
    } else if (raw.type === 'function_call') {
      const { call_id, name, arguments: args } = raw;
      if (typeof call_id !== 'string' || typeof name !== 'string' || typeof args !== 'string')
        throw new UpstreamFormatError('function_call item without call_id, name or arguments');
      content.push({ type: 'tool_call', id: call_id, name, arguments: args });
    }
    // Reasoning items carry no visible output (their tokens are in usage); built-in tool items
    // cannot occur, because encodeRequest never offers built-in tools.
  }
  const res: ChatResponse = {
    id: body.id,
    model: typeof body.model === 'string' ? body.model : '',
    content,
    stopReason: stopReasonOf(body, content),
  };
  const usage = decodeUsage(body.usage);
  if (usage) res.usage = usage;
  return res;
}

/** Text of an output part; a refusal is what the model said, so it is text too. */
function partText(part: unknown): string {
  if (isObject(part) && part.type === 'output_text' && typeof part.text === 'string') return part.text;
  if (isObject(part) && part.type === 'refusal' && typeof part.refusal === 'string') return part.refusal;
  throw new UpstreamFormatError('message content part is neither output_text nor refusal');
}

export function stopReasonOf(response: Json, content: readonly { type: string }[]): StopReason {
  if (response.status === 'incomplete') {
    const reason = isObject(response.incomplete_details) ? response.incomplete_details.reason : undefined;
    return reason === 'content_filter' ? 'content_filter' : 'max_tokens';
  }
  return content.some((p) => p.type === 'tool_call') ? 'tool_calls' : 'end';
}

export function errorMessage(error: unknown): string {
  return isObject(error) && typeof error.message === 'string' ? error.message : 'unknown error';
}
