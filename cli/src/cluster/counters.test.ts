import type { AnyResource, CompiledPolicyPlugins } from '@tollgate/protocol';
import { countersProblem, countingPolicies } from './counters';

const policy = (name: string, plugins: CompiledPolicyPlugins): AnyResource =>
  ({
    kind: 'Policy',
    name,
    version: 'v1',
    body: {
      source: { kind: 'Policy', namespace: 'default', name, generation: 1 },
      targets: [],
      parallel: false,
      plugins,
    },
  }) as unknown as AnyResource;

const limit = { rateLimit: { requests: 5 } } as unknown as CompiledPolicyPlugins;
const budget = { budget: {}, tokenRateLimit: {} } as unknown as CompiledPolicyPlugins;
const cors = { cors: {} } as unknown as CompiledPolicyPlugins;

describe('counting policies and --workers', () => {
  it('names each Policy with a rate, token or budget plugin, and which', () => {
    expect(
      countingPolicies([policy('default/b', budget), policy('default/c', cors), policy('default/a', limit)]),
    ).toEqual(['Policy default/a (rateLimit)', 'Policy default/b (tokenRateLimit, budget)']);
  });

  it('is a problem only with several workers, no Redis and a counting policy', () => {
    const resources = [policy('default/a', limit)];
    expect(countersProblem(resources, 1, undefined)).toBeUndefined();
    expect(countersProblem(resources, 2, 'redis://127.0.0.1:6379')).toBeUndefined();
    expect(countersProblem([policy('default/c', cors)], 2, undefined)).toBeUndefined();
    const problem = countersProblem(resources, 2, undefined);
    expect(problem).toContain('--workers 2 without --redis-url');
    expect(problem).toContain('up to 2× the limit');
    expect(problem).toContain('Policy default/a (rateLimit)');
  });
});
