import { startMockOpenAIUpstream, type MockOpenAIUpstream } from '../../testing/mock-openai-upstream';
import { scenarioEvents, scenarioReply } from '../../providers/scenario';
import { openAIChatFormat as fmt } from './index';
import { framesOf } from '../../testing/codec';

/** The mock OpenAI upstream answers the shared scenario through this codec. */
describe('mock OpenAI upstream speaks the scenario through the openai-chat codec', () => {
  let mock: MockOpenAIUpstream;
  beforeAll(async () => {
    mock = await startMockOpenAIUpstream();
  });
  afterAll(() => mock.close());
  beforeEach(() => mock.behave({ kind: 'ok' }));

  const tools = [{ type: 'function', function: { name: 'get_weather', parameters: { type: 'object' } } }];
  const post = (body: Record<string, unknown>) =>
    fetch(`${mock.url}/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-4o-mini', ...body }),
    });

  it('answers parallel tool calls for "both", as scenarioReply does', async () => {
    const body = { messages: [{ role: 'user', content: 'weather in both' }], tools };
    const res = await post(body);
    const got = fmt.decodeResponse(await res.json());
    expect(got).toEqual(scenarioReply(fmt.decodeRequest({ model: 'gpt-4o-mini', ...body }), got.id));
    expect(got.content.map((p) => p.type === 'tool_call' && p.arguments)).toEqual([
      '{"city":"Paris"}',
      '{"city":"Rome"}',
    ]);
  });

  it('streams the scenario events, with usage only when include_usage is set', async () => {
    const body = { messages: [{ role: 'user', content: 'hello there' }], stream: true };
    for (const includeUsage of [true, false]) {
      const res = await post({ ...body, stream_options: { include_usage: includeUsage } });
      const d = fmt.streamDecoder();
      const events = framesOf(await res.text()).flatMap((f) => d.push(f));
      const expected = scenarioEvents(
        scenarioReply(fmt.decodeRequest({ model: 'gpt-4o-mini', ...body }), 'x'),
      );
      const start = events[0];
      expect(start?.type === 'start' && start.id).toMatch(/^chatcmpl-mock-/);
      expect(events.slice(1)).toEqual(expected.slice(1).filter((e) => includeUsage || e.type !== 'usage'));
    }
  });

  it('answers Result: … for tool results, and the reply override in place of the scenario', async () => {
    const results = await post({
      messages: [
        { role: 'user', content: 'weather?' },
        {
          role: 'assistant',
          tool_calls: [{ id: 'c1', type: 'function', function: { name: 'get_weather', arguments: '{}' } }],
        },
        { role: 'tool', tool_call_id: 'c1', content: 'sunny' },
      ],
      tools,
    });
    expect(fmt.decodeResponse(await results.json()).content).toEqual([
      { type: 'text', text: 'Result: sunny' },
    ]);
    mock.behave({ kind: 'ok', reply: 'fixed answer' });
    const fixed = fmt.decodeResponse(
      await (await post({ messages: [{ role: 'user', content: 'x' }] })).json(),
    );
    expect(fixed.content).toEqual([{ type: 'text', text: 'fixed answer' }]);
    expect(fixed.usage?.outputTokens).toBe(2);
  });

  it('answers 400 with the param for a request the codec refuses', async () => {
    const res = await post({ messages: [{ role: 'user', content: 'x' }], n: 3 });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { type: 'invalid_request_error', param: 'n' } });
  });
});
