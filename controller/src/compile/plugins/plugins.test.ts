import type { PolicyPlugins } from '../../api/v1alpha1';
import { StatusBuilder } from '../status';
import { compilePlugins } from '.';

function run(plugins: unknown) {
  const status = new StatusBuilder('Policy', { name: 'p', namespace: 'ns' });
  const out = compilePlugins(status, plugins as PolicyPlugins);
  const accepted = status.build().conditions[0];
  return { out, accepted: status.accepted, message: accepted?.message ?? '', reason: accepted?.reason };
}

describe('compilePlugins: accepted configurations, normalised', () => {
  it.each([
    [
      'rateLimit defaults',
      { rateLimit: { requests: 3, window: '1m' } },
      {
        rateLimit: {
          requests: 3,
          windowMs: 60_000,
          algorithm: 'SlidingWindow',
          key: 'Consumer',
          failureMode: 'FailOpen',
        },
      },
    ],
    [
      'rateLimit by header, lower-cased',
      {
        rateLimit: {
          requests: 1,
          window: '250ms',
          key: 'Header',
          header: 'X-Tenant',
          algorithm: 'TokenBucket',
          failureMode: 'FailClosed',
        },
      },
      {
        rateLimit: {
          requests: 1,
          windowMs: 250,
          algorithm: 'TokenBucket',
          key: 'Header',
          header: 'x-tenant',
          failureMode: 'FailClosed',
        },
      },
    ],
    ['requestSize, one field', { requestSize: { maxMessages: 4 } }, { requestSize: { maxMessages: 4 } }],
    [
      'cors defaults',
      { cors: { allowOrigins: ['https://A.example.com:8443'] } },
      {
        cors: {
          allowOrigins: ['https://a.example.com:8443'],
          allowMethods: ['GET', 'POST'],
          allowHeaders: ['*'],
          exposeHeaders: [],
          allowCredentials: false,
        },
      },
    ],
    [
      'cors: IPv6 and custom schemes, duplicates dropped, "*" alone',
      {
        cors: {
          allowOrigins: ['http://[::1]:3000', 'capacitor://localhost', 'http://[::1]:3000'],
          allowMethods: ['post', 'POST', '*'],
          allowHeaders: [],
          exposeHeaders: ['*'],
          maxAge: '90s',
        },
      },
      {
        cors: {
          allowOrigins: ['http://[::1]:3000', 'capacitor://localhost'],
          allowMethods: ['POST', '*'],
          allowHeaders: [],
          exposeHeaders: ['*'],
          allowCredentials: false,
          maxAgeMs: 90_000,
        },
      },
    ],
    [
      'cors: "*" among origins admits all',
      { cors: { allowOrigins: ['https://a.example.com', '*'], allowCredentials: true } },
      {
        cors: {
          allowOrigins: ['*'],
          allowMethods: ['GET', 'POST'],
          allowHeaders: ['*'],
          exposeHeaders: [],
          allowCredentials: true,
        },
      },
    ],
  ])('%s', (_name, plugins, expected) => {
    const r = run(plugins);
    expect(r.message).toBe('Policy is valid');
    expect(r.out).toEqual(expected);
  });
});

describe('compilePlugins: refused configurations, with precise messages', () => {
  it.each([
    ['no plugin', {}, 'Invalid', 'spec.plugins: at least one plugin is required'],
    [
      'unsupported plugin',
      { semanticCache: { embeddingRegistryRef: { name: 'r' }, embeddingModel: 'e' } },
      'Unsupported',
      'spec.plugins.semanticCache is not supported yet',
    ],
    ['unknown plugin', { waf: {} }, 'Invalid', 'spec.plugins.waf: unknown plugin'],
    ['plugin not an object', { cors: 'yes' }, 'Invalid', 'spec.plugins.cors: must be an object'],
    [
      'fractional requests',
      { rateLimit: { requests: 1.5, window: '1s' } },
      'Invalid',
      'spec.plugins.rateLimit.requests: must be a whole number >= 1',
    ],
    [
      'unparsable window',
      { rateLimit: { requests: 1, window: '1d' } },
      'Invalid',
      "spec.plugins.rateLimit.window: '1d' is not a duration (e.g. 500ms, 30s, 5m)",
    ],
    [
      'window rounding to zero',
      { rateLimit: { requests: 1, window: '0.2ms' } },
      'Invalid',
      "spec.plugins.rateLimit.window: '0.2ms' must be at least 1ms",
    ],
    [
      'a limit too fine to count exactly',
      { rateLimit: { requests: 2 ** 40, window: '1h' } },
      'Invalid',
      'is too fine to count exactly',
    ],
    [
      'unknown key',
      { rateLimit: { requests: 1, window: '1s', key: 'User' } },
      'Invalid',
      "spec.plugins.rateLimit.key: 'User' must be one of Consumer, Gateway, APIKey, ClientIP, Header",
    ],
    [
      'bad header name',
      { rateLimit: { requests: 1, window: '1s', key: 'Header', header: 'x user' } },
      'Invalid',
      "spec.plugins.rateLimit.header: 'x user' is not a valid header name",
    ],
    [
      'maxMessages over int32',
      { requestSize: { maxMessages: 2 ** 31 } },
      'Invalid',
      'spec.plugins.requestSize.maxMessages: must be a whole number from 1 to 2147483647',
    ],
    [
      'maxBodyBytes zero',
      { requestSize: { maxBodyBytes: 0 } },
      'Invalid',
      'spec.plugins.requestSize.maxBodyBytes: must be a whole number >= 1',
    ],
    [
      'no origins',
      { cors: { allowOrigins: [] } },
      'Invalid',
      'spec.plugins.cors.allowOrigins: at least one origin is required',
    ],
    [
      'origin with a query',
      { cors: { allowOrigins: ['https://a.example.com?x=1'] } },
      'Invalid',
      "spec.plugins.cors.allowOrigins[0]: 'https://a.example.com?x=1' is not an origin",
    ],
    [
      'unparsable maxAge',
      { cors: { allowOrigins: ['*'], maxAge: 'forever' } },
      'Invalid',
      "spec.plugins.cors.maxAge: 'forever' is not a duration",
    ],
  ])('%s', (_name, plugins, reason, message) => {
    const r = run(plugins);
    expect(r.accepted).toBe(false);
    expect(r.reason).toBe(reason);
    expect(r.message).toContain(message);
  });
});
