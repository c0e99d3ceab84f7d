import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { UpstreamPools } from './pools';

/** UpstreamPools.preconnect against a real HTTP server that counts its connections and requests. */
describe('UpstreamPools.preconnect', () => {
  const timeouts = { connectMs: 2000, requestMs: 5000, idleMs: 5000 };
  let server: http.Server;
  let origin: string;
  const seen = { connections: 0, requests: 0 };
  /** The server's connections still open. */
  const open = new Set<unknown>();
  beforeEach(async () => {
    seen.connections = 0;
    seen.requests = 0;
    open.clear();
    server = http.createServer((req, res) => {
      seen.requests++;
      req.resume();
      req.on('end', () => res.end('ok'));
    });
    server.on('connection', (socket) => {
      seen.connections++;
      open.add(socket);
      socket.on('close', () => open.delete(socket));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterEach(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  const until = async (ok: () => boolean) => {
    for (let i = 0; i < 200 && !ok(); i++) await new Promise((r) => setTimeout(r, 5));
  };

  it('opens connections without a request; the pool uses them before opening its own', async () => {
    const pools = new UpstreamPools();
    expect(await pools.preconnect(origin, timeouts, 3)).toBe(3);
    await until(() => seen.connections === 3);
    expect(seen).toEqual({ connections: 3, requests: 0 });
    const pool = pools.get(origin, timeouts);
    const answers = await Promise.all(
      [1, 2, 3].map(async () => (await pool.request({ path: '/', method: 'GET' })).body.text()),
    );
    expect(answers).toEqual(['ok', 'ok', 'ok']);
    expect(seen).toEqual({ connections: 3, requests: 3 });
    await pools.close();
  });

  it('pre-connects a pool once: an origin it already has gets nothing more', async () => {
    const pools = new UpstreamPools();
    expect(await pools.preconnect(origin, timeouts, 2)).toBe(2);
    expect(await pools.preconnect(origin, timeouts, 2)).toBe(0);
    await (await pools.get(origin, timeouts).request({ path: '/', method: 'GET' })).body.text();
    expect(await pools.preconnect(origin, timeouts, 2)).toBe(0);
    expect(seen.connections).toBe(2);
    await pools.close();
  });

  it('counts connections that fail to open as not opened; close() ends the unused ones', async () => {
    const pools = new UpstreamPools();
    expect(await pools.preconnect('http://127.0.0.1:1', { ...timeouts, connectMs: 500 }, 2)).toBe(0);
    expect(await pools.preconnect(origin, timeouts, 2)).toBe(2);
    await until(() => open.size === 2);
    expect(open.size).toBe(2);
    await pools.close();
    await until(() => open.size === 0);
    expect(open.size).toBe(0);
    expect(seen.requests).toBe(0);
  });
});
