import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { MAX_HEADER_VALUE_LENGTH, safeHeaders } from './safe-headers';

describe('safeHeaders', () => {
  it('returns the same object when every header is safe (nothing copied on the hot path)', () => {
    const headers = {
      'content-type': 'application/json',
      'x-selected-model': 'gpt-4o',
      'x-latin1': 'caf\u00e9',
    };
    expect(safeHeaders(headers)).toBe(headers);
  });

  it.each([
    ['a line separator', 'a\u2028b', 'a%E2%80%A8b'],
    ['an emoji', 'gpt-🤖', 'gpt-%F0%9F%A4%96'],
    ['NUL', 'a\u0000b', 'a%00b'],
    ['CR LF (no header injection)', 'a\r\nx-evil: 1', 'a%0D%0Ax-evil: 1'],
    ['a lone surrogate', 'a\ud800b', 'a%EF%BF%BDb'],
    ['right-to-left override', 'a\u202eb', 'a%E2%80%AEb'],
    ['DEL', 'a\u007fb', 'a%7Fb'],
  ])('percent-encodes %s, keeping the other headers and their order', (_name, value, encoded) => {
    const out = safeHeaders({ a: '1', 'x-selected-model': value, z: '2' });
    expect(out).toEqual({ a: '1', 'x-selected-model': encoded, z: '2' });
    expect(Object.keys(out)).toEqual(['a', 'x-selected-model', 'z']);
  });

  it('drops a value that is too long and a name that is not a token', () => {
    const out = safeHeaders({
      a: '1',
      long: 'x'.repeat(MAX_HEADER_VALUE_LENGTH + 1),
      'bad name': 'v',
      'bad\u00e9': 'v',
      z: '2',
    });
    expect(out).toEqual({ a: '1', z: '2' });
  });

  it('gives Node headers it writes without throwing, and a client reads them back', async () => {
    const hostile = {
      'x-selected-model': 'm\u2028🤖\u0000\ud800\u202e',
      'x-request-id': 'r1',
      'x-long': 'y'.repeat(50_000),
    };
    const server = http.createServer((_req, res) => {
      res.writeHead(200, safeHeaders(hostile));
      res.end('ok');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const res = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
      expect(res.status).toBe(200);
      expect(res.headers.get('x-selected-model')).toBe('m%E2%80%A8%F0%9F%A4%96%00%EF%BF%BD%E2%80%AE');
      expect(res.headers.get('x-long')).toBeNull();
      expect(res.headers.get('x-request-id')).toBe('r1');
      expect(() => new Response('', { headers: safeHeaders(hostile) })).not.toThrow();
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
