import path from 'node:path';
import OpenAI from 'openai';
import { ROOT, startTollgate, type RunningTollgate } from './process';

/**
 * The semantic cache in a real `tollgate run` process (built CLI, `npm run build` first) serving the
 * quickstart with examples/policies, whose gateway-wide cache embeds prompts with a mock Registry:
 * a repeated question, worded a little differently and streamed, is answered from the cache.
 */
let tg: RunningTollgate;
beforeAll(async () => {
  tg = await startTollgate([
    '-f',
    path.join(ROOT, 'examples/quickstart'),
    '-f',
    path.join(ROOT, 'examples/policies'),
  ]);
});
afterAll(async () => {
  await tg?.stop();
});

it('answers a similar streamed question from the cache, and counts it on /metrics', async () => {
  const sdk = new OpenAI({
    baseURL: `http://127.0.0.1:${tg.port}/my-app/v1`,
    apiKey: 'sk-tollgate-demo-key',
    defaultHeaders: { 'X-AG-Gateway-Slug': 'demo' },
    maxRetries: 0,
  });
  const first = await sdk.chat.completions
    .create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'What is the capital of France?' }] })
    .withResponse();
  expect(first.response.headers.get('x-tollgate-cache')).toBe('miss');
  expect(first.data.choices[0]?.message.content).toBe('Echo: What is the capital of France?');

  // Stored once the response is complete, off the request path: give it a moment.
  const ask = () =>
    sdk.chat.completions
      .create({
        model: 'gpt-4o-mini',
        messages: [{ role: 'user', content: 'what is the capital of France' }],
        stream: true,
      })
      .withResponse();
  let hit: Awaited<ReturnType<typeof ask>> | undefined;
  for (let i = 0; i < 20 && !hit; i++) {
    const r = await ask();
    if (r.response.headers.get('x-tollgate-cache') === 'hit') hit = r;
    else for await (const _ of r.data) void _;
  }
  expect(hit).toBeDefined();
  let text = '';
  for await (const chunk of hit?.data ?? []) text += chunk.choices[0]?.delta.content ?? '';
  expect(text).toBe('Echo: What is the capital of France?');

  const metrics = await (await fetch(`http://127.0.0.1:${tg.opsPort}/metrics`)).text();
  expect(metrics).toMatch(/tollgate_semantic_cache_total\{policy="default\/demo-cache",result="hit"\} [1-9]/);
});
