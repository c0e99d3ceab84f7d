import { openSync } from 'node:fs';
import { devNull } from 'node:os';
import { asReceived, type AnyResource } from '@tollgate/protocol';
import { buildSnapshot } from '../config/snapshot';
import { createPolicyEngine } from '../policies/engine';
import { createHttpAdapter } from '../providers/http';
import { HealthRegistry } from '../routing/health';
import { accessLog } from '../telemetry/access-log';
import { batchedDestination, createLogger } from '../telemetry/logger';
import { createMetrics } from '../telemetry/metrics';
import { HistogramVec } from '../telemetry/vec';
import { sameHiddenClass } from '../testing/hidden-class';
import { consumer, gateway, registry, route } from '../testing/resources';
import { warmResources } from './plan';

/**
 * The warm-up optimises the request path through a throwaway proxy before readiness. That work
 * survives into real traffic only if the real proxy's objects have the same hidden classes and
 * its collaborators run the same functions: otherwise V8 throws the optimised code away on the
 * first real request ("wrong map", "wrong call target") and compiles it again under load.
 */

const COMPILED: AnyResource[] = [
  gateway('acme'),
  registry('oa', { provider: 'openai', baseUrl: 'https://api.openai.com/v1', apiKey: 'sk-up' }),
  registry('claude', { provider: 'anthropic', baseUrl: 'https://api.anthropic.com/v1', apiKey: 'k' }),
  consumer('app', 'acme', ['sk-app'], [route('gpt', ['oa']), route('claude', ['claude'])]),
  consumer('other', 'acme', ['sk-other'], [route('*', ['oa'])]),
];

const copied = (resources: AnyResource[]) =>
  resources.filter((r) => r.kind === 'Registry' || r.kind === 'Consumer');

describe('the warm-up’s config copy', () => {
  it('has bodies of the same hidden class as the config a proxy receives (asReceived)', () => {
    const received = COMPILED.map(asReceived);
    const warm = warmResources(buildSnapshot(received, 1), 'http://127.0.0.1:9', 'sk-warm');
    const real = new Map(copied(received).map((r) => [r.name, r.body]));
    const checked = copied(warm).map((r) => {
      const body = real.get(r.name) as object;
      expect(r.body).not.toBe(body); // a copy (its own upstream and key)…
      return [r.name, sameHiddenClass(r.body, body)];
    });
    // …of the same shape.
    expect(checked).toEqual([
      ['default/oa', true],
      ['default/claude', true],
      ['default/app', true],
      ['default/other', true],
    ]);
  });

  it('would not, were the config held as compiled (the check can tell)', () => {
    const warm = warmResources(buildSnapshot(COMPILED, 1), 'http://127.0.0.1:9', 'sk-warm');
    const real = new Map(copied(COMPILED).map((r) => [r.name, r.body]));
    expect(copied(warm).some((r) => !sameHiddenClass(r.body, real.get(r.name) as object))).toBe(true);
  });
});

describe('the request path’s collaborators', () => {
  it('run one function per kind, whichever instance (the warm-up’s or the real one) they belong to', () => {
    const [m1, m2] = [createMetrics({ defaultMetrics: false }), createMetrics({ defaultMetrics: false })];
    expect(m1.observeRequest).toBe(m2.observeRequest);
    expect(m1.observeTokens).toBe(m2.observeTokens);
    expect(m1.observeUpstream).toBe(m2.observeUpstream);
    const options = { name: 'h', help: 'h', labelNames: ['a'], buckets: [1] };
    const [h1, h2] = [new HistogramVec(options, []), new HistogramVec(options, [])];
    expect(h1.labels('x').observe).toBe(h2.labels('y').observe);
    expect(createHttpAdapter().send).toBe(createHttpAdapter().send);
    expect(createPolicyEngine().pipelineFor).toBe(createPolicyEngine().pipelineFor);
    expect(new HealthRegistry().now).toBe(new HealthRegistry({ now: () => 0 }).now);
  });

  it('write logs through one function per kind, on stdout or on the warm-up’s sink', () => {
    const [a, b] = [batchedDestination(openSync(devNull, 'w')), batchedDestination(openSync(devNull, 'w'))];
    try {
      expect(a.write).toBe(b.write);
      expect(accessLog(createLogger({ destination: a })).write).toBe(
        accessLog(createLogger({ destination: b })).write,
      );
    } finally {
      a.destroy();
      b.destroy();
    }
  });
});
