import type { ChatRequest } from '../../formats/ir';
import { estimatePromptTokens } from './estimate';

const base: ChatRequest = { model: 'm', system: [], messages: [], stream: false };

describe('estimatePromptTokens: characters / 4, rounded up', () => {
  it.each<[string, ChatRequest, number]>([
    ['nothing', base, 0],
    ['one character', { ...base, messages: [{ role: 'user', content: [{ type: 'text', text: 'x' }] }] }, 1],
    [
      'system and turns of both roles',
      {
        ...base,
        system: [{ type: 'text', text: 'a'.repeat(8) }],
        messages: [
          { role: 'user', content: [{ type: 'text', text: 'b'.repeat(4) }] },
          { role: 'assistant', content: [{ type: 'text', text: 'c'.repeat(5) }] },
        ],
      },
      5, // 17 characters
    ],
    [
      'tool calls, results and definitions count; images do not',
      {
        ...base,
        messages: [
          {
            role: 'assistant',
            content: [{ type: 'tool_call', id: 'id-ignored', name: 'abcd', arguments: '{"x":1}' }],
          },
          {
            role: 'user',
            content: [
              {
                type: 'tool_result',
                toolCallId: 'id-ignored',
                content: [
                  { type: 'text', text: 'sunny' },
                  { type: 'image', source: { kind: 'url', url: 'https://example.com/a-very-long-url.png' } },
                ],
              },
              { type: 'image', source: { kind: 'base64', mediaType: 'image/png', data: 'A'.repeat(1000) } },
            ],
          },
        ],
        tools: [{ name: 'get', description: 'Weather', parameters: { type: 'object' } }],
      },
      // 4 + 7 + 5 + (3 + 7 + 17) = 43 characters
      11,
    ],
  ])('%s', (_name, req, tokens) => {
    expect(estimatePromptTokens(req)).toBe(tokens);
  });
});
