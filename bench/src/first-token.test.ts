import { answerProblem, firstTokenProbe } from './first-token';

const enc = (s: string) => Buffer.from(s, 'utf8');

describe('first-token probe', () => {
  it('skips the role-only OpenAI chunk and finds the first non-empty content', () => {
    const p = firstTokenProbe('openai-chat');
    expect(p.push(enc('data: {"choices":[{"index":0,"delta":{"role":"assistant","content":""}}]}\n\n'))).toBe(
      false,
    );
    expect(p.push(enc('data: {"choices":[{"index":0,"delta":{"con'))).toBe(false);
    expect(p.push(enc('tent":"Echo"}}]}\n\ndata: [DONE]\n\n'))).toBe(true);
    expect(p.push(enc('anything'))).toBe(true);
  });
  it('never counts [DONE], usage-only chunks or comments as a token', () => {
    const p = firstTokenProbe('openai-chat');
    expect(
      p.push(enc(': keep-alive\n\ndata: {"choices":[],"usage":{"prompt_tokens":1}}\n\ndata: [DONE]\n\n')),
    ).toBe(false);
  });
  it('finds the first Anthropic content_block_delta, by event name or by data type', () => {
    const named = firstTokenProbe('anthropic-messages');
    expect(
      named.push(
        enc(
          'event: message_start\ndata: {"type":"message_start"}\n\n' +
            'event: content_block_start\ndata: {"type":"content_block_start"}\n\n',
        ),
      ),
    ).toBe(false);
    expect(
      named.push(enc('event: content_block_delta\r\ndata: {"type":"content_block_delta"}\r\n\r\n')),
    ).toBe(true);
    const bare = firstTokenProbe('anthropic-messages');
    expect(bare.push(enc('data: {"type":"content_block_delta","index":0}\n\n'))).toBe(true);
  });
  it('keeps a character split across chunks whole', () => {
    const p = firstTokenProbe('openai-chat');
    const bytes = enc('data: {"choices":[{"delta":{"content":"é"}}]}\n\n');
    const cut = bytes.indexOf(0xc3) + 1;
    expect(p.push(bytes.subarray(0, cut))).toBe(false);
    expect(p.push(bytes.subarray(cut))).toBe(true);
  });
  it('checks whole answers', () => {
    expect(
      answerProblem('openai-chat', '{"object":"chat.completion","choices":[{"message":{"content":"hi"}}]}'),
    ).toBeUndefined();
    expect(
      answerProblem('openai-chat', '{"type":"message","content":[{"type":"text","text":"hi"}]}'),
    ).toMatch(/not an OpenAI chat completion/);
    expect(
      answerProblem('anthropic-messages', '{"type":"message","content":[{"type":"text","text":"hi"}]}'),
    ).toBeUndefined();
    expect(answerProblem('anthropic-messages', '{"type":"error"}')).toMatch(/not an Anthropic message/);
    expect(answerProblem('anthropic-messages', 'oops')).toMatch(/not JSON/);
  });
});
