import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Agent, Pool, errors, request } from './undici';

/** A server that answers each request with its method, URL and body, as JSON (`/hang`: never). */
async function echoServer() {
  const server = http.createServer((req, res) => {
    if (req.url === '/hang') return;
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ method: req.method, url: req.url, body }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => {
      server.closeAllConnections();
      return new Promise((r) => server.close(r));
    },
  };
}

describe('undici from its own modules', () => {
  it('request() sends on the global dispatcher or the one given, defaulting the method as undici does', async () => {
    const echo = await echoServer();
    const agent = new Agent();
    try {
      const plain = await request(`${echo.origin}/a/b?x=1`);
      expect(await plain.body.json()).toEqual({ method: 'GET', url: '/a/b?x=1', body: '' });
      const withBody = await request(new URL(`${echo.origin}/put`), { body: 'hi', dispatcher: agent });
      expect(await withBody.body.json()).toEqual({ method: 'PUT', url: '/put', body: 'hi' });
      const posted = await request(`${echo.origin}/p`, { method: 'POST', body: '{}', dispatcher: agent });
      expect(posted.statusCode).toBe(200);
      expect(await posted.body.json()).toEqual({ method: 'POST', url: '/p', body: '{}' });
    } finally {
      await agent.close();
      await echo.close();
    }
  });

  it("a Pool has undici's request API, and its errors are the classes exported", async () => {
    const echo = await echoServer();
    const pool = new Pool(echo.origin, { connections: 1 });
    try {
      const res = await pool.request({ path: '/pooled', method: 'GET' });
      expect(await res.body.json()).toEqual({ method: 'GET', url: '/pooled', body: '' });
      await expect(pool.request({ path: '/hang', method: 'GET', headersTimeout: 50 })).rejects.toBeInstanceOf(
        errors.HeadersTimeoutError,
      );
    } finally {
      await pool.destroy();
      await echo.close();
    }
  });
});
