import { startGuardServer, type GuardServer } from '../../testing/guard-server';
import { refusingPort } from '../../testing/mock-openai-upstream';
import { callWebhook, parseReply, type WebhookPayload } from './webhook';

const PAYLOAD: WebhookPayload = {
  phase: 'request',
  requestId: 'req-1',
  gateway: 'acme',
  consumer: 'app',
  policy: 'default/guard',
  operation: 'chat.completions',
  model: 'gpt',
  texts: ['hello', 'secret project'],
  paths: ['messages[0].content', 'messages[1].content'],
};

let guard: GuardServer;
beforeAll(async () => {
  guard = await startGuardServer();
});
afterAll(() => guard.close());
beforeEach(() => {
  guard.calls.length = 0;
});

const call = (timeoutMs = 1000) => callWebhook({ url: guard.url, timeoutMs }, PAYLOAD);

describe('callWebhook against a real HTTP server', () => {
  it('POSTs the contract’s JSON with the request id', async () => {
    guard.reply(() => ({ kind: 'json', body: { action: 'allow' } }));
    expect(await call()).toEqual({ kind: 'allow' });
    expect(guard.calls).toHaveLength(1);
    expect(guard.calls[0]?.body).toEqual(PAYLOAD);
    expect(guard.calls[0]?.headers['content-type']).toBe('application/json');
    expect(guard.calls[0]?.headers['x-request-id']).toBe('req-1');
  });

  it('reject, with and without a reason', async () => {
    guard.reply(() => ({ kind: 'json', body: { action: 'reject', reason: 'secret project' } }));
    expect(await call()).toEqual({ kind: 'reject', reason: 'secret project' });
    guard.reply(() => ({ kind: 'json', body: { action: 'reject' } }));
    expect(await call()).toEqual({ kind: 'reject', reason: undefined });
  });

  it('mask: replacement texts in order', async () => {
    guard.reply((body) => ({
      kind: 'json',
      body: { action: 'mask', texts: (body.texts as string[]).map((t) => t.replace('secret', '[X]')) },
    }));
    expect(await call()).toEqual({ kind: 'mask', texts: ['hello', '[X] project'] });
  });

  it.each([
    ['a 500', { kind: 'json', status: 500, body: { action: 'allow' } }, 'HTTP 500'],
    ['a 404', { kind: 'raw', status: 404, body: 'no' }, 'HTTP 404'],
    ['bad JSON', { kind: 'raw', status: 200, body: '{"action":' }, 'reply is not JSON'],
    ['an unknown action', { kind: 'json', body: { action: 'maybe' } }, "reply 'action' must be"],
    ['mask without texts', { kind: 'json', body: { action: 'mask' } }, "reply 'texts' must be 2 strings"],
    [
      'mask with too few texts',
      { kind: 'json', body: { action: 'mask', texts: ['a'] } },
      "'texts' must be 2",
    ],
  ] as const)('%s is a failure', async (_what, reply, reason) => {
    guard.reply(() => reply);
    const out = await call();
    expect(out.kind).toBe('failed');
    expect(out.kind === 'failed' && out.reason).toContain(reason);
  });

  it('a reply far larger than what was sent is a failure', async () => {
    guard.reply(() => ({ kind: 'raw', status: 200, body: ' '.repeat(200_000) }));
    expect(await call()).toEqual({ kind: 'failed', reason: 'reply too large' });
  });

  it('a server that never answers is bounded by the timeout', async () => {
    guard.reply(() => ({ kind: 'hang' }));
    const started = Date.now();
    const out = await call(150);
    const took = Date.now() - started;
    expect(out).toEqual({ kind: 'failed', reason: 'no answer within 150ms' });
    expect(took).toBeGreaterThanOrEqual(140);
    expect(took).toBeLessThan(1500);
  });

  it('a slow answer past the timeout is a failure; within it, an answer', async () => {
    guard.reply(() => ({ kind: 'json', delayMs: 400, body: { action: 'allow' } }));
    expect((await call(100)).kind).toBe('failed');
    guard.reply(() => ({ kind: 'json', delayMs: 20, body: { action: 'allow' } }));
    expect(await call(1000)).toEqual({ kind: 'allow' });
  });

  it('a refused connection is a failure', async () => {
    const port = await refusingPort();
    const out = await callWebhook({ url: `http://127.0.0.1:${port}/check`, timeoutMs: 1000 }, PAYLOAD);
    expect(out).toEqual({ kind: 'failed', reason: 'ECONNREFUSED' });
  });
});

describe('parseReply', () => {
  it.each([
    ['[]', 'not a JSON object'],
    ['null', 'not a JSON object'],
    ['{"action":"reject","reason":7}', "'reason' is not a string"],
    ['{"action":"mask","texts":["a",2]}', "'texts' must be 2 strings"],
  ])('%s → failed', (text, reason) => {
    const out = parseReply(text, 2);
    expect(out.kind === 'failed' && out.reason).toContain(reason);
  });
});
