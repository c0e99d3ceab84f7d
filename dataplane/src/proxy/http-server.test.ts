import net from 'node:net';
import { ConfigStore } from '../config/store';
import { startDataplane, type Dataplane } from '../server';
import { capturedLogger, isErrorLine } from '../testing/log-capture';
import { consumer, gateway, registry, route } from '../testing/resources';
import { clientErrorAnswer, type HttpLimits } from './http-server';

/**
 * The proxy's HTTP server under bytes no HTTP client sends: stalled bodies, slow headers, broken
 * framing, too many connections, clients that hang up mid-body. Raw sockets on 127.0.0.1.
 */
const DEADLINE_MS = 400;
const KEY = 'sk-caller';

function store(): ConfigStore {
  const s = new ConfigStore();
  s.replaceAll([
    gateway('acme', { limits: { maxRequestBodyBytes: 1 << 20, requestTimeoutMs: DEADLINE_MS } }),
    registry('m', { provider: 'mock', baseUrl: '' }),
    consumer('app', 'acme', [KEY], [route('gpt', ['m'])]),
  ]);
  s.markSynced();
  return s;
}

interface Proxy {
  dataplane: Dataplane;
  /** Every log line so far, parsed. */
  logs: Record<string, unknown>[];
}

async function proxy(http: Partial<HttpLimits> = {}): Promise<Proxy> {
  const { logger, lines } = capturedLogger('info');
  const dataplane = await startDataplane({ port: 0, opsPort: 0, store: store(), logger, http });
  return { dataplane, logs: lines };
}

/** An open connection: what it received so far, and whether (and when) the server closed it. */
class Raw {
  readonly socket: net.Socket;
  text = '';
  closedAt: number | undefined;
  private readonly closed: Promise<void>;
  readonly openedAt = Date.now();

  constructor(port: number) {
    this.socket = net.connect(port, '127.0.0.1');
    this.socket.on('data', (d: Buffer) => (this.text += d.toString('latin1')));
    this.socket.on('error', () => undefined);
    this.closed = new Promise((resolve) =>
      this.socket.once('close', () => {
        this.closedAt = Date.now();
        resolve();
      }),
    );
  }

  async connected(): Promise<this> {
    if (!this.socket.connecting) return this;
    await new Promise((resolve) => this.socket.once('connect', resolve));
    return this;
  }

  send(bytes: string): this {
    this.socket.write(Buffer.from(bytes, 'latin1'));
    return this;
  }

  /** Resolves once the server closed the connection, or after `ms` (then `closedAt` is unset). */
  async untilClosed(ms: number): Promise<this> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.closed, new Promise((r) => (timer = setTimeout(r, ms)))]);
    clearTimeout(timer);
    return this;
  }

  async untilReceived(pattern: RegExp, ms: number): Promise<this> {
    const until = Date.now() + ms;
    while (!pattern.test(this.text) && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
    return this;
  }

  /** The status, lower-cased headers and parsed JSON body of the (one) response received. */
  response(): { status: number; headers: Record<string, string>; body: unknown } {
    const end = this.text.indexOf('\r\n\r\n');
    const [statusLine = '', ...lines] = this.text.slice(0, end).split('\r\n');
    const headers = Object.fromEntries(
      lines.map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]),
    );
    const raw = this.text.slice(end + 4);
    const body: unknown =
      headers['transfer-encoding'] === 'chunked' ? JSON.parse(unchunk(raw)) : JSON.parse(raw);
    return { status: Number(statusLine.split(' ')[1]), headers, body };
  }

  destroy(): void {
    this.socket.destroy();
  }
}

function unchunk(raw: string): string {
  let out = '';
  let rest = raw;
  for (;;) {
    const nl = rest.indexOf('\r\n');
    const size = parseInt(rest.slice(0, nl), 16);
    if (!size) return out;
    out += rest.slice(nl + 2, nl + 2 + size);
    rest = rest.slice(nl + 2 + size + 2);
  }
}

const head = (path: string, extra: string) =>
  `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nX-AG-Gateway-Slug: acme\r\nAuthorization: Bearer ${KEY}\r\n` +
  `Content-Type: application/json\r\n${extra}\r\n`;

describe('the proxy server', () => {
  let p: Proxy;
  beforeAll(async () => {
    p = await proxy({ headersTimeoutMs: 300 });
  });
  afterAll(() => p.dataplane.close(0));

  describe('a request body that stops arriving', () => {
    it('gets 408 in OpenAI format at the Gateway deadline, and the connection is closed', async () => {
      const c = await new Raw(p.dataplane.port)
        .send(head('/app/v1/chat/completions', 'Content-Length: 200\r\n') + '{"model":"gpt",')
        .untilClosed(5_000);
      expect(c.closedAt).toBeDefined();
      expect((c.closedAt ?? Infinity) - c.openedAt).toBeLessThan(DEADLINE_MS + 1_000);
      const r = c.response();
      expect(r.status).toBe(408);
      expect(r.headers.connection).toBe('close');
      expect(r.body).toEqual({
        error: expect.objectContaining({
          code: 'request_timeout',
          message: expect.stringContaining('in time'),
        }),
      });
    });

    it('gets 408 in Anthropic format on /v1/messages (a chunked body that stops)', async () => {
      const c = await new Raw(p.dataplane.port)
        .send(head('/app/v1/messages', 'Transfer-Encoding: chunked\r\n') + '5\r\n{"mod\r\n')
        .untilClosed(5_000);
      expect((c.closedAt ?? Infinity) - c.openedAt).toBeLessThan(DEADLINE_MS + 1_000);
      const r = c.response();
      expect(r.status).toBe(408);
      expect(r.body).toEqual({
        type: 'error',
        error: { type: 'invalid_request_error', message: expect.stringContaining('in time') },
      });
    });

    it('is recorded as 408 at info level, not as an error', async () => {
      const lines = p.logs.filter((l) => l.msg === 'request' && l.status === 408);
      expect(lines.length).toBeGreaterThanOrEqual(2);
      expect(lines.map((l) => l.error)).toContain('request_timeout');
    });
  });

  it('cuts headers that arrive too slowly with a 408 error body (headersTimeout)', async () => {
    const c = await new Raw(p.dataplane.port)
      .send('POST /app/v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ')
      .untilClosed(5_000);
    expect((c.closedAt ?? Infinity) - c.openedAt).toBeLessThan(300 + 1_000);
    const r = c.response();
    expect(r.status).toBe(408);
    expect(r.headers.connection).toBe('close');
    expect(r.body).toEqual({ error: expect.objectContaining({ code: 'request_timeout' }) });
  });

  it('keeps an idle keep-alive connection past headersTimeout (only slow requests are cut)', async () => {
    const get = `GET /app/v1/models HTTP/1.1\r\nHost: 127.0.0.1\r\nX-AG-Gateway-Slug: acme\r\nAuthorization: Bearer ${KEY}\r\n\r\n`;
    const c = await (await new Raw(p.dataplane.port).connected()).send(get).untilReceived(/"data"/, 2_000);
    expect(c.text).toMatch(/^HTTP\/1\.1 200/);
    await new Promise((r) => setTimeout(r, 700));
    c.text = '';
    await c.send(get).untilReceived(/"data"/, 2_000);
    expect(c.text).toMatch(/^HTTP\/1\.1 200/);
    c.destroy();
  });

  describe('framing and header errors get a status and an OpenAI-style error body', () => {
    const chat = '/app/v1/chat/completions';
    it.each([
      [
        'Content-Length with Transfer-Encoding',
        head(chat, 'Content-Length: 5\r\nTransfer-Encoding: chunked\r\n') + '0\r\n\r\n',
        400,
        'malformed_request',
      ],
      [
        'a bad chunk size',
        head(chat, 'Transfer-Encoding: chunked\r\n') + 'zz\r\nhello\r\n0\r\n\r\n',
        400,
        'malformed_request',
      ],
      ['a NUL in a header', head(chat, 'X-Bad: a\0b\r\nContent-Length: 0\r\n'), 400, 'malformed_request'],
      [
        '16 KB of headers',
        head(chat, `X-Big: ${'a'.repeat(17_000)}\r\nContent-Length: 0\r\n`),
        431,
        'headers_too_large',
      ],
      ['Expect: bogus', head(chat, 'Expect: bogus\r\nContent-Length: 2\r\n'), 417, 'expectation_failed'],
      [
        'CONNECT',
        'CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n',
        405,
        'method_not_allowed',
      ],
    ])('%s', async (_name, bytes, status, code) => {
      const c = await new Raw(p.dataplane.port).send(bytes).untilClosed(5_000);
      expect(c.closedAt).toBeDefined();
      const r = c.response();
      expect(r.status).toBe(status);
      expect(r.headers['content-type']).toBe('application/json');
      expect(r.headers.connection).toBe('close');
      expect(r.body).toEqual({
        error: { message: expect.any(String), type: expect.any(String), param: null, code },
      });
    });
  });

  it('records a client that hangs up mid-body as 499 client_closed, with no error-level line', async () => {
    const before = p.logs.length;
    const c = await (
      await new Raw(p.dataplane.port).connected()
    )
      .send(
        head('/app/v1/chat/completions', 'X-Request-Id: hang-up\r\nContent-Length: 100\r\n') + '{"model":',
      )
      .untilClosed(50);
    c.destroy();
    const until = Date.now() + 3_000;
    const mine = () => p.logs.slice(before);
    const isAccess = (l: Record<string, unknown>) => l.msg === 'request' && l.requestId === 'hang-up';
    while (!mine().some(isAccess) && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
    const access = mine().find(isAccess);
    expect(access).toMatchObject({ status: 499, error: 'client_closed' });
    expect(mine().filter(isErrorLine)).toEqual([]);
  });
});

describe('the connection cap', () => {
  let p: Proxy;
  beforeAll(async () => {
    p = await proxy({ maxConnections: 3 });
  });
  afterAll(() => p.dataplane.close(0));

  it('closes connections past maxConnections at once, and accepts again when one closes', async () => {
    const held = await Promise.all([1, 2, 3].map(() => new Raw(p.dataplane.port).connected()));
    // The server counts a connection when it accepts it: give it the time to.
    await new Promise((r) => setTimeout(r, 100));
    const extra = await (await new Raw(p.dataplane.port).connected()).untilClosed(2_000);
    expect(extra.closedAt).toBeDefined();
    expect(extra.text).toBe('');
    for (const h of held) expect(h.closedAt).toBeUndefined();
    expect(p.logs).toContainEqual(
      expect.objectContaining({ msg: 'connection cap reached: dropping', maxConnections: 3, dropped: 1 }),
    );

    held[0]?.destroy();
    await new Promise((r) => setTimeout(r, 100));
    const get = `GET /app/v1/models HTTP/1.1\r\nHost: 127.0.0.1\r\nX-AG-Gateway-Slug: acme\r\nAuthorization: Bearer ${KEY}\r\n\r\n`;
    const next = await (await new Raw(p.dataplane.port).connected()).send(get).untilReceived(/"data"/, 2_000);
    expect(next.text).toMatch(/^HTTP\/1\.1 200/);
    for (const c of [...held, next]) c.destroy();
  });
});

describe('clientErrorAnswer', () => {
  it.each([
    ['ERR_HTTP_REQUEST_TIMEOUT', 408, undefined],
    ['HPE_HEADER_OVERFLOW', 431, undefined],
    ['HPE_INVALID_CHUNK_SIZE', 400, 'Invalid character in chunk size'],
    ['HPE_UNEXPECTED_CONTENT_LENGTH', 400, "Content-Length can't be present with Transfer-Encoding"],
  ])('%s → %i', (code, status, reason) => {
    const e = clientErrorAnswer(Object.assign(new Error('parse'), { code, reason }));
    expect(e?.status).toBe(status);
    if (reason) expect(e?.message).toContain(reason.slice(1));
  });

  it('answers nothing to a client that is gone', () => {
    expect(clientErrorAnswer(Object.assign(new Error('reset'), { code: 'ECONNRESET' }))).toBeUndefined();
  });
});
