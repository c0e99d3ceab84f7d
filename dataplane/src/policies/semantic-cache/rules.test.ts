import type { ChatResponse } from '../../formats/ir';
import { cacheDirectives, notStorable, toServe, toStore } from './rules';

const ANSWER: ChatResponse = {
  id: 'chatcmpl-abc123',
  model: 'gpt-up',
  content: [{ type: 'text', text: 'Paris.' }],
  stopReason: 'end',
  usage: { inputTokens: 12, outputTokens: 2 },
};

describe('cacheDirectives', () => {
  it.each([
    [undefined, { lookup: true, store: true }],
    ['max-age=60', { lookup: true, store: true }],
    ['no-cache', { lookup: false, store: true }],
    ['No-Cache, max-age=0', { lookup: false, store: true }],
    ['no-store', { lookup: false, store: false }],
    ['private, no-store, no-cache', { lookup: false, store: false }],
  ])('%s', (header, expected) => {
    expect(cacheDirectives(header)).toEqual(expected);
  });
});

describe('notStorable', () => {
  const ok = { response: { status: 200, stream: false }, responseContent: ANSWER };
  it.each([
    ['a complete reply', ok, undefined],
    ['tool calls', { ...ok, responseContent: { ...ANSWER, stopReason: 'tool_calls' as const } }, undefined],
    [
      'a stop sequence',
      { ...ok, responseContent: { ...ANSWER, stopReason: 'stop_sequence' as const } },
      undefined,
    ],
    ['an error', { ...ok, response: { status: 500, stream: false } }, 'not a success'],
    [
      'a cache hit',
      { ...ok, response: { status: 200, stream: true, cached: true } },
      'served from the cache',
    ],
    ['an interrupted stream', { response: ok.response }, 'incomplete'],
    [
      'a cut-off answer',
      { ...ok, responseContent: { ...ANSWER, stopReason: 'max_tokens' as const } },
      'stopped on max_tokens',
    ],
    [
      'a filtered answer',
      { ...ok, responseContent: { ...ANSWER, stopReason: 'content_filter' as const } },
      'stopped on content_filter',
    ],
    ['an empty answer', { ...ok, responseContent: { ...ANSWER, content: [] } }, 'empty'],
  ])('%s', (_name, req, expected) => {
    expect(notStorable(req)).toBe(expected);
  });
});

describe('stored and served answers', () => {
  it('stores without usage and serves with zero usage and a fresh id in the same style', () => {
    const stored = toStore(ANSWER);
    expect(stored.usage).toBeUndefined();
    const a = toServe(stored);
    const b = toServe(stored);
    expect(a.id).toMatch(/^chatcmpl-[A-Za-z0-9]{16}$/);
    expect(a.id).not.toBe(b.id);
    expect(a.usage).toEqual({ inputTokens: 0, outputTokens: 0 });
    expect(a.content).toEqual(ANSWER.content);
    expect(toServe({ ...stored, id: 'msg_01XYZ' }).id).toMatch(/^msg_/);
    expect(toServe({ ...stored, id: 'plain' }).id).toMatch(/^cache-/);
  });

  it('serves a copy: changing it leaves the stored answer alone', () => {
    const stored = toStore(ANSWER);
    const served = toServe(stored);
    (served.content[0] as { text: string }).text = 'changed';
    expect(stored.content[0]).toEqual({ type: 'text', text: 'Paris.' });
  });
});
