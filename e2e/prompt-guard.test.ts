import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { startGuardServer, type GuardServer } from '@tollgate/dataplane/testing/guard-server';
import { startTollgate, type RunningTollgate } from './process';
import { anthropicFor, openAIFor } from './clients';
import { acmeWithConsumers } from './manifests';

/**
 * promptGuard in a real `tollgate run` process (built CLI, `npm run build` first), driven by the
 * official OpenAI and Anthropic SDKs, with a real guard webhook on 127.0.0.1.
 */
const KEYS = {
  masked: 'sk-guard-masked',
  strict: 'sk-guard-strict',
  outbound: 'sk-guard-outbound',
  hooked: 'sk-guard-hooked',
};

const manifests = (webhook: string) => `${acmeWithConsumers(KEYS)}
---
apiVersion: tollgate.dev/v1alpha1
kind: Policy
metadata: {name: masked}
spec:
  targetRefs: [{kind: Consumer, name: masked}]
  plugins:
    promptGuard: {action: Mask, detectors: [Email, CreditCard], applyTo: [Request]}
---
apiVersion: tollgate.dev/v1alpha1
kind: Policy
metadata: {name: strict}
spec:
  targetRefs: [{kind: Consumer, name: strict}]
  plugins:
    promptGuard: {detectors: [Email, SSN], applyTo: [Request, Response]}
---
apiVersion: tollgate.dev/v1alpha1
kind: Policy
metadata: {name: outbound}
spec:
  targetRefs: [{kind: Consumer, name: outbound}]
  plugins:
    promptGuard: {detectors: [Email], applyTo: [Response]}
---
apiVersion: tollgate.dev/v1alpha1
kind: Policy
metadata: {name: hooked}
spec:
  targetRefs: [{kind: Consumer, name: hooked}]
  plugins:
    promptGuard:
      webhook: {url: '${webhook}', timeout: 200ms, failureMode: FailClosed}
`;

describe('promptGuard with the official SDKs', () => {
  let tg: RunningTollgate;
  let guard: GuardServer;
  const origin = () => `http://127.0.0.1:${tg.port}`;
  const openai = (consumer: keyof typeof KEYS) =>
    openAIFor(origin(), consumer, KEYS[consumer], { timeoutMs: 5000 });
  const anthropic = (consumer: keyof typeof KEYS) =>
    anthropicFor(origin(), consumer, KEYS[consumer], { timeoutMs: 5000 });

  beforeAll(async () => {
    guard = await startGuardServer();
    const dir = await mkdtemp(path.join(os.tmpdir(), 'tollgate-guard-'));
    await writeFile(path.join(dir, 'all.yaml'), manifests(guard.url));
    tg = await startTollgate(['-f', dir, '--no-watch']);
  });
  afterAll(async () => {
    await tg?.stop();
    await guard?.close();
  });

  it('OpenAI SDK: the prompt is masked before the model sees it, streamed or not', async () => {
    const sdk = openai('masked');
    const prompt = 'mail jane@example.com, card 4111 1111 1111 1111';
    const { data, response } = await sdk.chat.completions
      .create({ model: 'mock-small', messages: [{ role: 'user', content: prompt }] })
      .withResponse();
    expect(response.headers.get('x-tollgate-guard')).toBe('masked');
    expect(data.choices[0]?.message.content).toBe('Echo: mail [EMAIL], card [CREDIT_CARD]');

    const stream = await sdk.chat.completions.create({
      model: 'mock-small',
      messages: [{ role: 'user', content: prompt }],
      stream: true,
    });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    expect(text).toBe('Echo: mail [EMAIL], card [CREDIT_CARD]');
  });

  it('OpenAI SDK: a refused prompt is a BadRequestError with code prompt_blocked and no data in it', async () => {
    const err = await openai('strict')
      .chat.completions.create({
        model: 'mock-small',
        messages: [{ role: 'user', content: 'ssn 123-45-6789' }],
      })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    const e = err as InstanceType<typeof OpenAI.BadRequestError>;
    expect(e.code).toBe('prompt_blocked');
    expect(e.param).toBe('messages[0].content');
    expect(e.message).toContain('SSN in messages[0].content');
    expect(e.message).not.toContain('6789');
  });

  it('Anthropic SDK: a refused prompt is a BadRequestError, a refused answer an UnprocessableEntityError', async () => {
    const ask = (consumer: keyof typeof KEYS) =>
      anthropic(consumer)
        .messages.create({
          model: 'mock-small',
          max_tokens: 50,
          messages: [{ role: 'user', content: 'write to jane@example.com' }],
        })
        .catch((e: unknown) => e);

    const prompt = await ask('strict');
    expect(prompt).toBeInstanceOf(Anthropic.BadRequestError);
    expect((prompt as Error).message).toContain('Email in messages[0].content');

    // Only answers are guarded for this consumer: the mock's echo carries the address back.
    const answer = await ask('outbound');
    expect(answer).toBeInstanceOf(Anthropic.UnprocessableEntityError);
    expect((answer as Error).message).toContain(
      "The model's response was blocked by a prompt guard: it contains Email in the text.",
    );
    expect((answer as Error).message).not.toContain('jane@');
  });

  it('streamed answers are guarded as they stream: both SDKs raise the refusal mid-stream, never the data', async () => {
    const content = 'write to jane@example.com please';
    const stream = await openai('outbound').chat.completions.create({
      model: 'mock-small',
      stream: true,
      messages: [{ role: 'user', content }],
    });
    let text = '';
    const failure = await (async () => {
      for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    })().catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(OpenAI.APIError);
    expect((failure as Error).message).toContain('Email in the streamed text');
    expect(text).not.toContain('jane@');

    const events = await anthropic('outbound').messages.create({
      model: 'mock-small',
      max_tokens: 50,
      stream: true,
      messages: [{ role: 'user', content }],
    });
    let said = '';
    const refused = await (async () => {
      for await (const e of events)
        if (e.type === 'content_block_delta' && e.delta.type === 'text_delta') said += e.delta.text;
    })().catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(Anthropic.APIError);
    expect((refused as Error).message).toContain(
      'blocked by a prompt guard: it contains Email in the streamed text',
    );
    expect(said).not.toContain('jane@');
  });

  it('the webhook decides, and a silent one fails closed within its timeout', async () => {
    const sdk = openai('hooked');
    const ask = () =>
      sdk.chat.completions.create({
        model: 'mock-small',
        messages: [{ role: 'user', content: 'about Falcon' }],
      });

    guard.reply((body) => ({
      kind: 'json',
      body: { action: 'mask', texts: (body.texts as string[]).map((t) => t.replace('Falcon', '[PROJECT]')) },
    }));
    expect((await ask()).choices[0]?.message.content).toBe('Echo: about [PROJECT]');
    expect(guard.calls.at(-1)?.body).toMatchObject({
      phase: 'request',
      consumer: 'hooked',
      texts: ['about Falcon'],
    });
    expect(JSON.stringify(guard.calls.at(-1))).not.toContain(KEYS.hooked);

    guard.reply(() => ({
      kind: 'json',
      body: { action: 'reject', reason: 'project names are confidential' },
    }));
    const rejected = await ask().catch((e: unknown) => e);
    expect(rejected).toBeInstanceOf(OpenAI.BadRequestError);
    expect((rejected as Error).message).toContain(
      'blocked by the guard service: project names are confidential',
    );

    guard.reply(() => ({ kind: 'hang' }));
    const started = Date.now();
    const unavailable = await ask().catch((e: unknown) => e);
    expect(Date.now() - started).toBeLessThan(2000);
    expect(unavailable).toBeInstanceOf(OpenAI.InternalServerError);
    expect((unavailable as InstanceType<typeof OpenAI.APIError>).status).toBe(503);
    expect((unavailable as InstanceType<typeof OpenAI.APIError>).code).toBe('guard_unavailable');
  });
});
