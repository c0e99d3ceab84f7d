import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { ConfigStore, startDataplane, type Dataplane } from '@tollgate/dataplane';
import { DiscoveryClient } from '@tollgate/dataplane/discovery/client';
import { capturedLogger } from '@tollgate/dataplane/testing/captured-logs';
import { refusingPort } from '@tollgate/dataplane/testing/mock-openai-upstream';
import { anthropicFor, openAIFor } from './clients';
import { eventually } from './process';

/**
 * A proxy that never received config (its controller is unreachable) has nothing to route by:
 * it answers 503 not_ready with Retry-After in the caller's format, never a 404, and says in its
 * log that it has no config, not that it serves "the last good" one.
 */
describe('a dataplane before its first config', () => {
  const { logger, lines } = capturedLogger();
  let dataplane: Dataplane;
  let client: DiscoveryClient;

  beforeAll(async () => {
    dataplane = await startDataplane({ port: 0, opsPort: 0, store: new ConfigStore(), logger });
    client = new DiscoveryClient({
      address: `127.0.0.1:${await refusingPort()}`,
      node: { id: 'lonely', cluster: 'default' },
      store: dataplane.store,
      logger,
      backoff: { initialMs: 10, maxMs: 100 },
    });
    client.start();
  });
  afterAll(async () => {
    client.stop();
    await dataplane.close(0);
  });
  const origin = () => `http://127.0.0.1:${dataplane.port}`;

  it('answers OpenAI callers 503 not_ready with Retry-After', async () => {
    const err = await openAIFor(origin(), 'my-app', 'sk-any', { gateway: 'demo' })
      .chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.APIError);
    const e = err as InstanceType<typeof OpenAI.APIError>;
    expect(e.status).toBe(503);
    expect(e.code).toBe('not_ready');
    expect(e.message).toMatch(/has not received its configuration yet/);
    expect(e.headers?.get('retry-after')).toBe('1');
  });

  it('answers Anthropic callers 503 in the Anthropic error shape', async () => {
    const err = await anthropicFor(origin(), 'my-app', 'sk-any', { gateway: 'demo' })
      .messages.create({ model: 'claude', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Anthropic.APIError);
    const e = err as InstanceType<typeof Anthropic.APIError>;
    expect(e.status).toBe(503);
    expect(e.error).toEqual({
      type: 'error',
      error: { type: 'overloaded_error', message: expect.stringMatching(/configuration yet/) as unknown },
    });
    expect(e.headers?.get('retry-after')).toBe('1');
  });

  it('logs that it has no config yet, never that it serves a last good one', async () => {
    const lost = () => lines().filter((l) => String(l.msg).startsWith('discovery stream lost'));
    await eventually(() => lost().length > 0);
    expect(lost()[0]?.msg).toBe('discovery stream lost; no config received yet, requests get 503 not_ready');
    expect(lines().some((l) => String(l.msg).includes('last good config'))).toBe(false);
  });
});
