import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { request } from 'undici';
import { NodeExchange } from './exchange';

/** One request to a server whose every request is answered by `answer` through a NodeExchange. */
async function answerWith(answer: (x: NodeExchange) => void) {
  const server = http.createServer((req, res) => answer(new NodeExchange(req, res)));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  try {
    const res = await request(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
    return { status: res.statusCode, headers: res.headers, body: await res.body.text() };
  } finally {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  }
}

describe('NodeExchange.respond', () => {
  it.each([
    ['a string with multi-byte characters', 'héllo ✓'],
    ['bytes', Buffer.from('{"ok":true}')],
  ])('sends %s with its Content-Length, not chunked', async (_name, body) => {
    const res = await answerWith((x) => x.respond(200, { 'content-type': 'text/plain', 'x-a': 'b' }, body));
    expect(res.headers['content-length']).toBe(String(Buffer.byteLength(body)));
    expect(res.headers['transfer-encoding']).toBeUndefined();
    expect(res.headers['x-a']).toBe('b');
    expect(res.body).toBe(Buffer.from(body).toString());
  });

  it("never writes into the caller's headers, and a given Content-Length is not sent twice", async () => {
    const shared = Object.freeze({ 'content-type': 'application/json', 'content-length': '999' });
    const res = await answerWith((x) => x.respond(200, shared, '{}'));
    expect(res.headers['content-length']).toBe('2');
    expect(shared).toEqual({ 'content-type': 'application/json', 'content-length': '999' });
  });

  it('sends no Content-Length on a 204', async () => {
    const res = await answerWith((x) => x.respond(204, { 'access-control-allow-origin': '*' }, ''));
    expect(res.status).toBe(204);
    expect(res.headers['content-length']).toBeUndefined();
    expect(res.headers['access-control-allow-origin']).toBe('*');
  });
});
