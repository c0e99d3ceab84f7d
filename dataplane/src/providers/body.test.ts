import { getEventListeners } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Pool, errors as undiciErrors } from 'undici';
import { CallAbort } from './abort';
import { readWhole, sendRequest, type UpstreamBody } from './body';

type Handler = (req: http.IncomingMessage, res: http.ServerResponse) => void;

let server: http.Server;
let pool: Pool;
let handler: Handler;
/** Each response's fate, as the server saw it: finished, or closed before the end. */
let closed: Promise<'finished' | 'cut'>;

beforeAll(async () => {
  server = http.createServer((req, res) => {
    closed = new Promise((resolve) =>
      res.once('close', () => resolve(res.writableFinished ? 'finished' : 'cut')),
    );
    handler(req, res);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  pool = new Pool(`http://127.0.0.1:${(server.address() as AddressInfo).port}`, { bodyTimeout: 2_000 });
});
afterAll(async () => {
  await pool.close();
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

const get = (signal = new CallAbort()) => sendRequest(pool, { path: '/', method: 'GET' }, signal);

async function iterate(body: UpstreamBody): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of body) chunks.push(Buffer.from(c));
  return Buffer.concat(chunks);
}

describe('sendRequest', () => {
  it('resolves at the headers with the status, lower-case headers and a body read whole', async () => {
    handler = (_req, res) => {
      res.writeHead(201, { 'Content-Type': 'application/json', 'X-Request-Id': 'abc' });
      res.write('{"a":');
      setTimeout(() => res.end('1}'), 20);
    };
    const res = await get();
    expect(res.status).toBe(201);
    expect(res.headers['content-type']).toBe('application/json');
    expect(res.headers['x-request-id']).toBe('abc');
    expect((await readWhole(res.body)).toString()).toBe('{"a":1}');
  });

  it('streams a body larger than its buffer to a slow reader, byte for byte', async () => {
    const payload = Buffer.alloc(1024 * 1024, 7);
    for (let i = 0; i < payload.length; i += 4096) payload[i] = i % 251;
    handler = (_req, res) => {
      res.writeHead(200);
      res.end(payload);
    };
    const res = await get();
    const chunks: Buffer[] = [];
    for await (const c of res.body) {
      chunks.push(Buffer.from(c));
      await new Promise((r) => setImmediate(r));
    }
    expect(Buffer.concat(chunks).equals(payload)).toBe(true);
    expect(await closed).toBe('finished');
  });

  it('passes 1xx informational answers by and resolves with the final one', async () => {
    handler = (_req, res) => {
      res.writeProcessing();
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('done');
    };
    const res = await get();
    expect(res.status).toBe(200);
    expect((await readWhole(res.body)).toString()).toBe('done');
  });

  it('rejects at once when the signal has already fired, without reaching the server', async () => {
    let reached = false;
    handler = (_req, res) => {
      reached = true;
      res.end();
    };
    const signal = new CallAbort();
    signal.abort();
    await expect(get(signal)).rejects.toBeInstanceOf(undiciErrors.RequestAbortedError);
    await new Promise((r) => setTimeout(r, 50));
    expect(reached).toBe(false);
  });

  it('cuts a request waiting for its headers when the signal fires', async () => {
    let arrived: () => void = () => undefined;
    const reached = new Promise<void>((resolve) => (arrived = resolve));
    handler = () => arrived(); // never answers
    const signal = new CallAbort();
    const pending = get(signal);
    // Fired once the server has the request (and `closed` is this response's), not after a delay.
    await reached;
    signal.abort();
    await expect(pending).rejects.toBeInstanceOf(undiciErrors.RequestAbortedError);
    expect(await closed).toBe('cut');
  });

  it('fails the body when the signal fires mid-body, and the server sees the connection cut', async () => {
    handler = (_req, res) => {
      res.writeHead(200);
      res.write('partial');
    };
    const signal = new CallAbort();
    const res = await get(signal);
    const whole = readWhole(res.body);
    setTimeout(() => signal.abort(), 30);
    await expect(whole).rejects.toBeInstanceOf(undiciErrors.RequestAbortedError);
    expect(await closed).toBe('cut');
  });

  it('cuts the request when a reader stops iterating early', async () => {
    handler = (_req, res) => {
      res.writeHead(200);
      res.write('first');
    };
    const res = await get();
    for await (const c of res.body) {
      expect(Buffer.from(c).toString()).toBe('first');
      break;
    }
    expect(await closed).toBe('cut');
  });

  it("fails the body with undici's error when the upstream dies mid-body", async () => {
    handler = (_req, res) => {
      res.writeHead(200, { 'content-length': '100' });
      res.write('not all of it');
      setTimeout(() => res.socket?.destroy(), 20);
    };
    const res = await get();
    await expect(iterate(res.body)).rejects.toBeInstanceOf(undiciErrors.SocketError);
  });

  it('takes a standard AbortSignal too: it cuts the request, and a finished one leaves no listener on it', async () => {
    handler = (_req, res) => res.end('done');
    const finished = new AbortController();
    const ok = await sendRequest(pool, { path: '/', method: 'GET' }, finished.signal);
    expect((await readWhole(ok.body)).toString()).toBe('done');
    expect(getEventListeners(finished.signal, 'abort')).toHaveLength(0);

    handler = (_req, res) => {
      res.writeHead(200);
      res.write('partial');
    };
    const cut = new AbortController();
    const res = await sendRequest(pool, { path: '/', method: 'GET' }, cut.signal);
    const whole = readWhole(res.body);
    cut.abort();
    await expect(whole).rejects.toBeInstanceOf(undiciErrors.RequestAbortedError);
    expect(await closed).toBe('cut');
  });

  it('is read once: a second reader is refused', async () => {
    handler = (_req, res) => res.end('x');
    const res = await get();
    await readWhole(res.body);
    expect(() => res.body[Symbol.asyncIterator]()).toThrow('read once');
  });
});

describe('readWhole', () => {
  it('iterates a body without whole()', async () => {
    const body: UpstreamBody = {
      async *[Symbol.asyncIterator]() {
        yield Buffer.from('a');
        yield new Uint8Array([98]);
      },
    };
    expect((await readWhole(body)).toString()).toBe('ab');
  });
});
