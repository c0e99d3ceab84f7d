import { createHash } from 'node:crypto';
import type { CompiledRateLimit } from '@tollgate/protocol';
import { counterKeyOf, type KeySource } from './key';

const base: CompiledRateLimit = {
  requests: 10,
  windowMs: 60_000,
  algorithm: 'SlidingWindow',
  key: 'Consumer',
  failureMode: 'FailOpen',
};
const caller = (over: Partial<KeySource> = {}, headers: Record<string, string> = {}): KeySource => ({
  gateway: { name: 'ns/acme' },
  consumer: { name: 'ns/app' },
  apiKeyHash: 'ab'.repeat(32),
  clientIp: '10.1.2.3',
  header: (n) => headers[n],
  ...over,
});
const sha = (v: string) => createHash('sha256').update(v).digest('hex').slice(0, 32);

describe('counterKeyOf', () => {
  it.each<[string, Partial<CompiledRateLimit>, KeySource, string]>([
    ['per consumer', {}, caller(), 'tollgate:rl:ns/p:sw:60000:consumer:ns/app'],
    ['per gateway', { key: 'Gateway' }, caller(), 'tollgate:rl:ns/p:sw:60000:gateway:ns/acme'],
    [
      'per API key: its digest',
      { key: 'APIKey' },
      caller(),
      `tollgate:rl:ns/p:sw:60000:apikey:${'ab'.repeat(32)}`,
    ],
    ['per client IP', { key: 'ClientIP' }, caller(), 'tollgate:rl:ns/p:sw:60000:ip:10.1.2.3'],
    [
      'IPv4-mapped IPv6 is the IPv4 address',
      { key: 'ClientIP' },
      caller({ clientIp: '::ffff:10.1.2.3' }),
      'tollgate:rl:ns/p:sw:60000:ip:10.1.2.3',
    ],
    [
      'IPv6',
      { key: 'ClientIP' },
      caller({ clientIp: '2001:db8::1' }),
      'tollgate:rl:ns/p:sw:60000:ip:2001:db8::1',
    ],
    [
      'no address',
      { key: 'ClientIP' },
      caller({ clientIp: undefined }),
      'tollgate:rl:ns/p:sw:60000:ip:unknown',
    ],
    [
      'per header value: a digest, never the value',
      { key: 'Header', header: 'x-user' },
      caller({}, { 'x-user': 'alice' }),
      `tollgate:rl:ns/p:sw:60000:header:x-user:${sha('alice')}`,
    ],
    [
      'without the header: one shared counter',
      { key: 'Header', header: 'x-user' },
      caller(),
      'tollgate:rl:ns/p:sw:60000:header:x-user:-',
    ],
    [
      'algorithm and window are part of the key',
      { algorithm: 'TokenBucket', windowMs: 1500 },
      caller(),
      'tollgate:rl:ns/p:tb:1500:consumer:ns/app',
    ],
  ])('%s', (_name, config, source, expected) => {
    expect(counterKeyOf('ns/p', { ...base, ...config })(source)).toBe(expected);
  });

  it('never contains a header value', () => {
    const key = counterKeyOf('ns/p', { ...base, key: 'Header', header: 'authorization' })(
      caller({}, { authorization: 'Bearer sk-secret' }),
    );
    expect(key).not.toContain('sk-secret');
  });
});
