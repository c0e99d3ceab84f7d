import { consumer, gateway, registry, route } from '@tollgate/dataplane/testing/resources';
import { dialHost, listeningBanner } from './banner';

const upstream = registry('up');

describe('listeningBanner', () => {
  it('gives a curl for the first consumer with a key and a named model, the key left to a variable', () => {
    const line = listeningBanner(
      [
        gateway('acme'),
        upstream,
        consumer('no-keys', 'acme', [], [route('m', ['up'])]),
        consumer('only-wildcard', 'acme', ['k1'], [route('*', ['up'])]),
        consumer('app', 'acme', ['secret-key'], [route('*', ['up']), route("it's", ['up'])]),
      ],
      '127.0.0.1',
      8081,
    );
    expect(line).toBe(
      'listening on http://127.0.0.1:8081 — try: curl -s http://127.0.0.1:8081/app/v1/chat/completions ' +
        `-H 'X-AG-Gateway-Slug: acme' -H "Authorization: Bearer $TOLLGATE_API_KEY" ` +
        `-H 'Content-Type: application/json' ` +
        `-d '{"model":"it'\\''s","messages":[{"role":"user","content":"Hello"}]}'` +
        '  (TOLLGATE_API_KEY: an API key of consumer default/app)',
    );
    expect(line).not.toContain('secret-key');
  });

  it('uses the Host header for a gateway found by host name only', () => {
    const line = listeningBanner(
      [
        gateway('edge', { discovery: 'HostOnly', hostnames: ['edge.example.com'] }),
        upstream,
        consumer('app', 'edge', ['k'], [route('m', ['up'])]),
      ],
      '0.0.0.0',
      9000,
    );
    expect(line).toContain(
      "curl -s http://127.0.0.1:9000/app/v1/chat/completions -H 'Host: edge.example.com' ",
    );
  });

  it('is the address alone when no consumer can be called', () => {
    expect(listeningBanner([gateway('acme')], '::', 8081)).toBe('listening on http://[::1]:8081');
  });

  it.each([
    ['0.0.0.0', '127.0.0.1'],
    ['::', '[::1]'],
    ['::1', '[::1]'],
    ['10.0.0.5', '10.0.0.5'],
  ])('dials %s as %s', (host, dialed) => expect(dialHost(host)).toBe(dialed));
});
