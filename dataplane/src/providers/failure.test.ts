import {
  refusingPort,
  startMockOpenAIUpstream,
  type MockOpenAIUpstream,
} from '../testing/mock-openai-upstream';
import { registry } from '../testing/resources';
import { CallAbort } from './abort';
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

  async function failureAt(baseUrl: string): Promise<UpstreamError> {
    const err = await adapter
      .send({
        operation: 'chat.completions',
        registry: registry('r', { baseUrl, timeouts: { connectMs: 2000, requestMs: 2000, idleMs: 2000 } })
          .body,
        model: 'm',
        format: 'openai-chat',
        body: { model: 'm', messages: [{ role: 'user', content: 'x' }] },
        rawBody: undefined,
        stream: false,
        requestId: 'r1',
        signal: new CallAbort(),
      })
      .then(
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

  it('TLS spoken to a port that does not speak it', async () => {
    const err = await failureAt(`https://127.0.0.1:${mock.port}/v1`);
    expect(err.message).toMatch(new RegExp(`^TLS failure with the upstream 127\\.0\\.0\\.1:${mock.port}: `));
    expect(err.message).not.toMatch(noInternalCode);
    expect(err.code).toBeDefined();
  });
});
