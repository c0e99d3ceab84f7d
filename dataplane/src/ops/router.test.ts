import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { proxyClient } from '../testing/proxy-client';
import { MAX_OPS_BODY_BYTES, opsListener, type OpsGuard, type OpsRoute } from './router';

const routes: OpsRoute[] = [
  { method: 'GET', path: '/hello', handle: () => ({ status: 200, json: { hello: 'world' } }) },
  {
    method: 'GET',
    path: '/text',
    handle: () => ({ status: 200, headers: { 'content-type': 'text/plain; version=0.0.4' }, text: 'a 1\n' }),
  },
  { method: 'GET', path: '/items/:id', handle: (req) => ({ status: 200, json: { id: req.params.id } }) },
  {
    method: 'POST',
    path: '/items/:id',
    handle: async (req) => ({ status: 201, json: { id: req.params.id, got: await req.text() } }),
  },
  {
    method: 'GET',
    path: '/boom',
    handle: () => {
      throw new Error('kaput');
    },
  },
];
const guard: OpsGuard = {
  under: '/items',
  check: (req) =>
    req.header('authorization') === 'Bearer ok'
      ? undefined
      : { status: 401, headers: { 'www-authenticate': 'Bearer' }, json: { error: 'no' } },
};
const auth = { authorization: 'Bearer ok' };

function setup() {
  const errors: unknown[] = [];
  const app = proxyClient(opsListener(routes, [guard], (err) => errors.push(err)));
  return { app, errors };
}

describe('the ops port router', () => {
  it('answers JSON with its type and length, and text with the type the route gives', async () => {
    const { app } = setup();
    const json = await app.request('/hello?verbose=1');
    expect(json.status).toBe(200);
    expect(json.headers.get('content-type')).toBe('application/json');
    const body = await json.text();
    expect(body).toBe('{"hello":"world"}');
    expect(json.headers.get('content-length')).toBe(String(body.length));
    const text = await app.request('/text');
    expect(text.headers.get('content-type')).toBe('text/plain; version=0.0.4');
    expect(await text.text()).toBe('a 1\n');
  });

  it('a GET route answers HEAD with its headers and no body', async () => {
    const { app } = setup();
    const res = await app.request('/hello', { method: 'HEAD' });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-length')).toBe('17');
    expect(await res.text()).toBe('');
  });

  it.each([
    ['an unknown path', 'GET', '/nope'],
    ['a trailing slash', 'GET', '/hello/'],
    ['another method', 'POST', '/hello'],
    ['an empty parameter', 'GET', '/items/'],
    ['a path one segment too long', 'GET', '/items/a/b'],
  ])('%s is 404 in plain text', async (_name, method, path) => {
    const { app } = setup();
    const res = await app.request(path, { method, headers: auth });
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toBe('text/plain; charset=UTF-8');
    expect(await res.text()).toBe('404 Not Found');
  });

  it('passes parameters percent-decoded and the body as text', async () => {
    const { app } = setup();
    const shown = await app.request('/items/a%20b', { headers: auth });
    expect(await shown.json()).toEqual({ id: 'a b' });
    const posted = await app.request('/items/x', { method: 'POST', headers: auth, body: '{"k":1}' });
    expect(posted.status).toBe(201);
    expect(await posted.json()).toEqual({ id: 'x', got: '{"k":1}' });
  });

  it('a guard answers for its prefix and below, routed or not, and nothing else', async () => {
    const { app } = setup();
    for (const path of ['/items', '/items/x', '/items/a/b']) {
      const res = await app.request(path);
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toBe('Bearer');
    }
    expect((await app.request('/itemsx')).status).toBe(404);
    expect((await app.request('/hello')).status).toBe(200);
  });

  it('a route that throws is a 500 in plain text, and onError is told', async () => {
    const { app, errors } = setup();
    const res = await app.request('/boom');
    expect(res.status).toBe(500);
    expect(await res.text()).toBe('Internal Server Error');
    expect(errors).toEqual([new Error('kaput')]);
  });

  it('a body over the limit is 413, and the server stays up', async () => {
    const { app, errors } = setup();
    const big = 'x'.repeat(MAX_OPS_BODY_BYTES + 1);
    const res = await app.request('/items/x', { method: 'POST', headers: auth, body: big });
    expect(res.status).toBe(413);
    expect(await res.json()).toEqual({
      error: { message: `the body is over ${MAX_OPS_BODY_BYTES} bytes`, type: 'invalid_request' },
    });
    const fits = 'y'.repeat(MAX_OPS_BODY_BYTES);
    const ok = await app.request('/items/x', { method: 'POST', headers: auth, body: fits });
    expect(((await ok.json()) as { got: string }).got).toHaveLength(MAX_OPS_BODY_BYTES);
    expect(errors).toEqual([]);
  });

  it('a client that goes away mid-body ends its route, with no error reported', async () => {
    let settled: unknown;
    const reading: OpsRoute = {
      method: 'POST',
      path: '/read',
      handle: async (req) => {
        settled = await req.text().then(
          () => 'read',
          (err: unknown) => err,
        );
        return { status: 200, json: {} };
      },
    };
    const errors: unknown[] = [];
    const server = http.createServer(opsListener([...routes, reading], [], (err) => errors.push(err)));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    try {
      const req = http.request({ port, host: '127.0.0.1', path: '/read', method: 'POST' });
      req.on('error', () => undefined);
      req.write('{"partial":');
      await new Promise((r) => setTimeout(r, 50));
      req.destroy();
      const deadline = Date.now() + 2000;
      while (settled === undefined && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      expect(settled).toBeInstanceOf(Error);
      expect(errors).toEqual([]);
      expect((await fetch(`http://127.0.0.1:${port}/hello`)).status).toBe(200);
    } finally {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  });
});
