import { buildSnapshot } from '../config/snapshot';
import { consumer, gateway, registry, route } from '../testing/resources';
import { checkCountRequest, countingTarget, estimateInputTokens } from './count-tokens';
import { GatewayError } from '../errors/errors';
import { findRoute } from './resolve';

describe('count_tokens', () => {
  it('estimates about four characters a token over system, messages and tools, an image as 1600', () => {
    const text = 'x'.repeat(400);
    const one = estimateInputTokens({ messages: [{ role: 'user', content: text }] });
    expect(one).toBe(Math.ceil((400 + 'user'.length) / 4));
    expect(estimateInputTokens({ system: text, messages: [{ role: 'user', content: text }] })).toBe(
      one + 100,
    );
    const image = {
      type: 'image',
      source: { type: 'base64', media_type: 'image/png', data: 'A'.repeat(100_000) },
    };
    expect(estimateInputTokens({ messages: [{ role: 'user', content: [image] }] })).toBe(
      Math.ceil('user'.length / 4) + 1600,
    );
    expect(estimateInputTokens({ messages: [] })).toBe(1);
    // fields that are not input are not counted
    expect(estimateInputTokens({ model: text, messages: [{ role: 'user', content: text }] })).toBe(one);
  });

  it.each([
    [{ messages: [{ role: 'user', content: 'x' }] }, 'invalid_model'],
    [{ model: 'm' }, 'invalid_messages'],
    [{ model: 'm', messages: [] }, 'invalid_messages'],
  ])('refuses %j with %s', (body, code) => {
    let caught: unknown;
    try {
      checkCountRequest(body);
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(GatewayError);
    expect(caught).toMatchObject({ status: 400, code });
  });

  it('counts with an anthropic target of the first priority group, else the first target', () => {
    const snapshot = buildSnapshot(
      [
        gateway('acme'),
        registry('mock', { provider: 'mock' }),
        registry('claude', { provider: 'anthropic' }),
        registry('backup', { provider: 'anthropic' }),
        consumer(
          'app',
          'acme',
          ['k'],
          [
            route('mixed', ['mock'], ['claude']),
            route('mock-first', ['mock', 1, undefined, 0], ['backup', 1, undefined, 1]),
          ],
        ),
      ],
      1,
    );
    const app = snapshot.gatewaysBySlug.get('acme')?.consumersBySlug.get('app');
    if (!app) throw new Error('fixture did not build');
    expect(countingTarget(findRoute(app, 'mixed'))?.registryName).toBe('default/claude');
    expect(countingTarget(findRoute(app, 'mock-first'))?.registryName).toBe('default/mock');
  });
});
