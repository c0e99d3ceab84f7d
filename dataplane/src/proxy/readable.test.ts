import { jsonObject, readableEvent, readableResponse } from './readable';

const b = (s: string) => Buffer.from(s);

describe('readableResponse: the native body check', () => {
  const chat = JSON.stringify({
    id: 'chatcmpl-1',
    object: 'chat.completion',
    choices: [{ index: 0, message: { role: 'assistant', content: 'say "choices": {} ] \\ done' } }],
    usage: { prompt_tokens: 1, completion_tokens: 2, total_tokens: 3 },
  });

  it.each([
    ['openai-chat', chat],
    ['openai-chat', ` \n${chat}\n`],
    ['openai-chat', '{ "choices" : [ ] , "extra" : {"nested": [1, {"a": "}"}]} }'],
    ['anthropic-messages', '{"type":"message","content":[{"type":"text","text":"hi"}]}'],
    ['openai-responses', '{"object":"response","output":[]}'],
    [undefined, '{"object":"list","data":[{"embedding":[0.1]}]}'],
  ] as const)('%s %s is readable', (format, body) => {
    expect(readableResponse(b(body), format)).toBe(true);
  });

  it.each([
    ['not JSON', 'openai-chat', 'upstream says hello'],
    ['HTML', 'openai-chat', '<html><body>502 Bad Gateway</body></html>'],
    ['empty', 'openai-chat', ''],
    ['the wrong shape', 'openai-chat', '{"choices":"nope"}'],
    ['the field missing', 'openai-chat', '{"id":"x"}'],
    ['the field only nested', 'openai-chat', '{"x":{"choices":[]}}'],
    ['the field name only as a value', 'openai-chat', '{"x":"choices"}'],
    ['cut short', 'openai-chat', '{"id": "chatcmpl-broken", "choices": ['],
    ['an open string', 'openai-chat', '{"choices":[],"x":"abc}'],
    ['mismatched brackets', 'openai-chat', '{"choices":[}]'],
    ['trailing bytes', 'openai-chat', '{"choices":[]} garbage'],
    ['two objects', 'openai-chat', '{"choices":[]}{"choices":[]}'],
    ['an array', 'openai-chat', '[{"choices":[]}]'],
    ["another format's body", 'anthropic-messages', '{"choices":[]}'],
    ['an embeddings list without data', undefined, '{"object":"list"}'],
  ] as const)('%s is not readable', (_what, format, body) => {
    expect(readableResponse(b(body), format)).toBe(false);
  });

  it('follows escaped quotes inside strings', () => {
    expect(jsonObject(b('{"a":"x\\"}","choices":[]}'), b('choices'))).toBe(true);
    expect(jsonObject(b('{"a":"x\\\\"}'))).toBe(true);
    expect(jsonObject(b('{"a":"x\\\\\\"}'))).toBe(false);
  });
});

describe('readableEvent: a native stream event check', () => {
  it.each([
    'data: {"id":"c","choices":[]}\n\n',
    'data: [DONE]\n\n',
    'event: message_start\ndata: {"type":"message_start"}\n\n',
    'event: ping\r\ndata: {"type": "ping"}\r\n\r\n',
    ': keep-alive\n\n',
    'data:{"compact":true}\n\n',
    'data: {"multi":\ndata: "line"}\n\n',
    'event: done\n\n',
  ])('%j is readable', (event) => {
    expect(readableEvent(b(event))).toBe(true);
  });

  it.each([
    'data: not json at all\n\n',
    'data: {"id":"c","choices":[\n\n',
    'data: {{{{\n\n',
    'event: message_delta\ndata: <html>\n\n',
    'data: [DONE] and more\n\n',
    'data: ["an array"]\n\n',
  ])('%j is not readable', (event) => {
    expect(readableEvent(b(event))).toBe(false);
  });
});
