import type {
  ChatRequest,
  ChatResponse,
  Part,
  StreamEvent,
  TextPart,
  ToolCallPart,
  Usage,
} from '../formats/ir';

/**
 * What the built-in `mock` provider and every provider mock used in tests answer, decided on the
 * neutral request so that each differs only in its wire format (paths, auth, framing), never in
 * behaviour. Deterministic, so tests can assert
 * exact replies through any inbound format × provider pair:
 *
 * - the last user turn holds tool results → text `Result: <results joined by "; ">`;
 * - tools are offered (and tool_choice is not none) → a call to the first tool with `{"city":"Paris"}`,
 *   or, when the last user text contains "both", two parallel calls (Paris, Rome);
 * - otherwise → text `Echo: <last user text>`, plus ` [n image(s)]` when the last user turn has images.
 *
 * Usage: input = 4 + 1 per message part + system parts, output = 1 per reply word or tool call;
 * cached = 2 and reasoning = 0, for formats that report them. `text` replaces the reply's text
 * (a mock's fixed `reply`).
 */
export function scenarioReply(req: ChatRequest, id = 'resp_mock_1', text?: string): ChatResponse {
  const res = scenarioFor(req, id);
  if (text === undefined) return res;
  // A fixed reply text (a mock's `reply` setting) in place of the scenario's, one output token a word.
  const usage = res.usage && { ...res.usage, outputTokens: text.match(/\S+/g)?.length ?? 0 };
  return { ...res, content: [{ type: 'text', text }], stopReason: 'end', ...(usage ? { usage } : {}) };
}

function scenarioFor(req: ChatRequest, id: string): ChatResponse {
  const last = [...req.messages].reverse().find((m) => m.role === 'user');
  const parts: Part[] = last?.content ?? [];
  const results = parts.filter((p) => p.type === 'tool_result');
  let content: (TextPart | ToolCallPart)[];
  let stopReason: ChatResponse['stopReason'] = 'end';
  if (results.length > 0) {
    const texts = results.map((r) => r.content.map((c) => (c.type === 'text' ? c.text : '[image]')).join(''));
    content = [{ type: 'text', text: `Result: ${texts.join('; ')}` }];
  } else if (req.tools && req.tools.length > 0 && req.toolChoice?.type !== 'none') {
    const tool = req.toolChoice?.type === 'tool' ? req.toolChoice.name : (req.tools[0]?.name ?? 'tool');
    const cities = textOf(parts).includes('both') ? ['Paris', 'Rome'] : ['Paris'];
    content = cities.map((city, i) => ({
      type: 'tool_call',
      id: `call_mock_${i + 1}`,
      name: tool,
      arguments: JSON.stringify({ city }),
    }));
    stopReason = 'tool_calls';
  } else {
    const images = parts.filter((p) => p.type === 'image').length;
    const suffix = images > 0 ? ` [${images} image${images === 1 ? '' : 's'}]` : '';
    content = [{ type: 'text', text: `Echo: ${textOf(parts)}${suffix}` }];
  }
  return { id, model: req.model, content, stopReason, usage: scenarioUsage(req, content) };
}

function textOf(parts: Part[]): string {
  return parts
    .filter((p): p is TextPart => p.type === 'text')
    .map((p) => p.text)
    .join(' ');
}

function scenarioUsage(req: ChatRequest, content: (TextPart | ToolCallPart)[]): Usage {
  const input = 4 + req.system.length + req.messages.reduce((n, m) => n + m.content.length, 0);
  const output = content.reduce(
    (n, p) => n + (p.type === 'text' ? (p.text.match(/\S+/g)?.length ?? 0) : 1),
    0,
  );
  return { inputTokens: input, outputTokens: output, cachedInputTokens: 2, reasoningTokens: 0 };
}

/**
 * The same reply as stream events: text word by word (spaces kept), each tool call's arguments
 * in two pieces, then finish and usage.
 */
export function scenarioEvents(res: ChatResponse): StreamEvent[] {
  const events: StreamEvent[] = [{ type: 'start', id: res.id, model: res.model }];
  let index = 0;
  for (const p of res.content) {
    if (p.type === 'text') {
      for (const piece of p.text.match(/\s*\S+/g) ?? []) events.push({ type: 'text', text: piece });
    } else {
      events.push({ type: 'tool_call_start', index, id: p.id, name: p.name });
      const half = Math.ceil(p.arguments.length / 2);
      events.push({ type: 'tool_call_delta', index, arguments: p.arguments.slice(0, half) });
      events.push({ type: 'tool_call_delta', index, arguments: p.arguments.slice(half) });
      index++;
    }
  }
  events.push({ type: 'finish', stopReason: res.stopReason });
  if (res.usage) events.push({ type: 'usage', usage: res.usage });
  return events;
}
