import { buildSnapshot } from '../config/snapshot';
import { createAdapters } from '../providers';
import { consumer, gateway, registry, route } from '../testing/resources';
import { warmUp, warmupSink } from './run';

/**
 * One warm-up through the real request path against the in-process fake upstream: every provider
 * format it stands in for answers in a way the proxy accepts, streamed and not, natively and
 * translated. The registries' own URLs lead nowhere: nothing may go there.
 */
describe('warmUp', () => {
  it('every shape of every format is answered 200 by the fake upstream', async () => {
    const nowhere = 'http://127.0.0.1:1';
    const snapshot = buildSnapshot(
      [
        gateway('acme'),
        registry('oa', { provider: 'openai', baseUrl: `${nowhere}/v1`, apiKey: 'k' }),
        registry('claude', { provider: 'anthropic', baseUrl: `${nowhere}/v1`, apiKey: 'k' }),
        registry('gem', { provider: 'gemini', baseUrl: `${nowhere}/v1beta`, apiKey: 'k' }),
        registry('br', {
          provider: 'bedrock',
          baseUrl: nowhere,
          bedrock: { region: 'us-east-1', accessKeyId: 'AKID', secretAccessKey: 'secret' },
        }),
        registry('mk', { provider: 'mock', baseUrl: '' }),
        consumer(
          'app',
          'acme',
          ['sk-app'],
          [
            route('gpt', ['oa']),
            route('claude', ['claude']),
            route('gemini-x', ['gem']),
            route('nova', ['br']),
            route('demo', ['mk']),
          ],
        ),
      ],
      1,
    );
    const adapters = createAdapters();
    const report = await warmUp(
      snapshot,
      { adapters, level: 'info' },
      { budgetMs: 10_000, requests: 40, concurrency: 2, connections: 0 },
      new Set(),
    );
    await Promise.all([...new Set(Object.values(adapters))].map((a) => a.close()));
    expect(report.shapes).toEqual([
      'openai-chat>openai-chat []',
      'openai-chat>openai-chat stream []',
      'openai-chat>anthropic-messages []',
      'openai-chat>anthropic-messages stream []',
      'anthropic-messages>anthropic-messages []',
      'anthropic-messages>anthropic-messages stream []',
      'openai-chat>gemini []',
      'openai-chat>gemini stream []',
      'openai-chat>bedrock-converse []',
      'openai-chat>bedrock-converse stream []',
    ]);
    expect(report).toMatchObject({ requests: 40, failed: 0, preconnected: 0, statuses: { 200: 40 } });
  });

  it('cuts the requests still under way at the end of its budget', async () => {
    const snapshot = buildSnapshot(
      [
        gateway('acme'),
        registry('slow', {
          provider: 'mock',
          baseUrl: '',
          mock: { latencyMs: 10_000, chunkDelayMs: 0, failureRate: 0, failureStatus: 500 },
        }),
        consumer('app', 'acme', ['sk-app'], [route('gpt', ['slow'])]),
      ],
      1,
    );
    const started = performance.now();
    const report = await warmUp(
      snapshot,
      { adapters: createAdapters(), level: 'info' },
      { budgetMs: 200, requests: 100, concurrency: 2, connections: 0 },
      new Set(),
    );
    expect(performance.now() - started).toBeLessThan(2000);
    expect(report).toMatchObject({ requests: 0, failed: 0, cut: 2, statuses: {} });
  });

  it('logs into one destination for the process, which stays open: a request cut at the end may still log after its proxy closed', async () => {
    const before = warmupSink();
    const report = await warmUp(
      buildSnapshot(
        [
          gateway('acme'),
          registry('oa', { provider: 'openai', baseUrl: 'http://127.0.0.1:1/v1', apiKey: 'k' }),
          consumer('app', 'acme', ['sk-app'], [route('gpt', ['oa'])]),
        ],
        1,
      ),
      { adapters: createAdapters(), level: 'info' },
      { budgetMs: 200, requests: 4, concurrency: 2, connections: 0 },
      new Set(),
    );
    expect(report.requests).toBe(4);
    expect(warmupSink()).toBe(before);
    expect(() => before.write('{"level":"info","msg":"after the warm-up"}\n')).not.toThrow();
  });
});
