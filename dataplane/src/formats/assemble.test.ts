import { eventsOf, StreamAssembler } from './assemble';
import type { ChatResponse } from './ir';

const RESPONSE: ChatResponse = {
  id: 'r1',
  model: 'm',
  content: [
    { type: 'text', text: 'Calling two tools.' },
    { type: 'tool_call', id: 'c1', name: 'weather', arguments: '{"city":"Paris"}' },
    { type: 'tool_call', id: 'c2', name: 'weather', arguments: '{"city":"Rome"}' },
  ],
  stopReason: 'tool_calls',
  usage: { inputTokens: 10, outputTokens: 4, cachedInputTokens: 2 },
};

describe('eventsOf and StreamAssembler', () => {
  it('round-trip a whole response through its events', () => {
    const a = new StreamAssembler();
    for (const e of eventsOf(RESPONSE)) a.push(e);
    expect(a.result()).toEqual(RESPONSE);
  });

  it('join text pieces and argument pieces as a stream delivers them', () => {
    const a = new StreamAssembler();
    a.push({ type: 'start', id: 'r2', model: 'm' });
    a.push({ type: 'text', text: 'Hel' });
    a.push({ type: 'text', text: 'lo' });
    a.push({ type: 'tool_call_start', index: 0, id: 'c', name: 'f' });
    a.push({ type: 'tool_call_delta', index: 0, arguments: '{"a"' });
    a.push({ type: 'tool_call_delta', index: 0, arguments: ':1}' });
    a.push({ type: 'finish', stopReason: 'stop_sequence', stopSequence: 'END' });
    a.push({ type: 'usage', usage: { inputTokens: 1, outputTokens: 1 } });
    a.push({ type: 'usage', usage: { inputTokens: 1, outputTokens: 2 } });
    expect(a.result()).toEqual({
      id: 'r2',
      model: 'm',
      content: [
        { type: 'text', text: 'Hello' },
        { type: 'tool_call', id: 'c', name: 'f', arguments: '{"a":1}' },
      ],
      stopReason: 'stop_sequence',
      stopSequence: 'END',
      usage: { inputTokens: 1, outputTokens: 2 },
    });
  });

  it('has no result for a stream that never finished', () => {
    const a = new StreamAssembler();
    a.push({ type: 'start', id: 'r3', model: 'm' });
    a.push({ type: 'text', text: 'cut off' });
    expect(a.result()).toBeUndefined();
  });
});
