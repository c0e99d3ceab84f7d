import {
  refusingPort,
  startMockOpenAIUpstream,
  type MockOpenAIUpstream,
} from '../testing/mock-openai-upstream';
import { registry } from '../testing/resources';
import { CallAbort } from './abort';
import { describeFailure } from './failure';
import { createHttpAdapter } from './http';
import type { ProviderAdapter } from './types';
import { UpstreamError } from './types';

/** The HTTP adapter against real sockets that fail: the caller's words, the raw code kept apart. */
describe('upstream connection failures in words', () => {
  let adapter: ProviderAdapter;
  let mock: MockOpenAIUpstream;
  beforeAll(async () => {
    adapter = createHttpAdapter();
    mock = await startMockOpenAIUpstream();
  });
  afterAll(async () => {
    await adapter.close();
    await mock.close();
  });

  const TIMEOUTS = { connectMs: 2000, requestMs: 2000, idleMs: 2000 };
  const call = (baseUrl: string, timeouts = TIMEOUTS, stream = false) =>
    adapter.send({
      operation: 'chat.completions',
      registry: registry('r', { baseUrl, timeouts }).body,
      model: 'm',
      format: 'openai-chat',
      body: { model: 'm', messages: [{ role: 'user', content: 'x' }], stream },
      rawBody: undefined,
      stream,
      requestId: 'r1',
      signal: new CallAbort(),
    });

  async function failureAt(baseUrl: string, timeouts = TIMEOUTS): Promise<UpstreamError> {
    const err = await call(baseUrl, timeouts).then(
      () => undefined,
      (e: unknown) => e,
    );
    if (!(err instanceof UpstreamError)) throw new Error(`expected an UpstreamError, got ${String(err)}`);
    return err;
  }

  const noInternalCode = /\b(E[A-Z]{4,}|UND_ERR_\w+|ERR_\w+|HPE_\w+)\b/;

  it('a refused connection names host and port; a connect error for retries', async () => {
    const port = await refusingPort();
    const err = await failureAt(`http://127.0.0.1:${port}/v1`);
    expect(err.message).toBe(`connection refused by 127.0.0.1:${port}`);
    expect(err.kind).toBe('connect');
    expect(err.code).toBe('ECONNREFUSED');
  });

  it('a connection reset by the upstream', async () => {
    mock.behave({ kind: 'reset' });
    const err = await failureAt(mock.url);
    mock.behave({ kind: 'ok' });
    expect(err.message).toBe(`connection reset by the upstream 127.0.0.1:${mock.port}`);
    expect(err.code).toBe('ECONNRESET');
    expect(err.kind).toBe('connect');
  });

  it('a host that does not resolve', async () => {
    const err = await failureAt('http://no-such-host.invalid/v1');
    expect(err.message).toMatch(/^DNS lookup (failed )?for host no-such-host\.invalid/);
    expect(err.message).not.toMatch(noInternalCode);
    expect(['ENOTFOUND', 'EAI_AGAIN']).toContain(err.code);
  });

  it('no response headers within the request timeout; a timeout for retries', async () => {
    mock.behave({ kind: 'hang' });
    const err = await failureAt(mock.url, { ...TIMEOUTS, requestMs: 200 });
    mock.behave({ kind: 'ok' });
    expect(err.kind).toBe('timeout');
    expect(err.message).toBe(
      `the upstream 127.0.0.1:${mock.port} sent no response headers within the registry's request timeout`,
    );
    expect(err.code).toBe('UND_ERR_HEADERS_TIMEOUT');
  });

  it('a body that stops mid-way past the idle timeout (read by the pipeline: words by describeFailure)', async () => {
    mock.behave({ kind: 'ok', reply: 'a b c', chunkDelayMs: 1000 });
    const res = await call(mock.url, { ...TIMEOUTS, idleMs: 200 }, true);
    const err = await (async () => {
      for await (const _ of res.body) void _;
    })().then(
      () => undefined,
      (e: unknown) => e,
    );
    mock.behave({ kind: 'ok' });
    expect(describeFailure(err)).toEqual({
      message: "the upstream stopped sending mid-response (the registry's idle timeout passed)",
      code: 'UND_ERR_BODY_TIMEOUT',
    });
  });

  it('TLS spoken to a port that does not speak it', async () => {
    const err = await failureAt(`https://127.0.0.1:${mock.port}/v1`);
    expect(err.message).toMatch(new RegExp(`^TLS failure with the upstream 127\\.0\\.0\\.1:${mock.port}: `));
    expect(err.message).not.toMatch(noInternalCode);
    expect(err.code).toBeDefined();
  });
});
