import type { Dispatcher } from 'undici';
import { isObject, parseSseEvent, type Json } from '../formats/wire';
import { withGatewayProgressToken } from './progress';
import { sseEvents } from '../proxy/sse';
import { MessageQueue } from './message-queue';

/**
 * One connection of the legacy HTTP+SSE transport (MCP 2024-11-05) towards one server: a
 * long-lived `GET` whose first event (`endpoint`) names the URL to POST messages to; every POST is
 * accepted (202) and the server's answers, notifications and own requests all arrive as `message`
 * events on the GET stream. The connection is one upstream session.
 *
 * - Requests are re-numbered on the connection (gateway ids 1, 2, …) and their answers go back with
 *   the caller's id, so concurrent requests of a session never collide (the gateway's own ones
 *   included); a request's progress token is swapped the same way (`tg-{n}`), so its progress
 *   notifications reach the request that asked.
 * - Other notifications and the server's own requests belong to no request on this transport: they
 *   go to the only request waiting, if there is exactly one (the server is working on it); else to
 *   the listeners (the client's GET stream); else to the oldest request waiting. With neither, a
 *   notification is dropped and a request refused. The server's `ping`s are answered here.
 * - The stream ending or failing fails every request waiting (`down`); the connection is closed and
 *   the owner opens a new one on the next request.
 * - The endpoint must be on the stream's own origin (a server may not send the gateway's POSTs,
 *   credentials included, elsewhere).
 */

export type SseFailure = 'down' | 'timeout' | 'refused' | 'stale' | 'session-gone';

export class SseError extends Error {
  constructor(
    readonly kind: SseFailure,
    message: string,
  ) {
    super(message);
    this.name = 'SseError';
  }
}

export interface SseTarget {
  /** How errors name the server: `MCP server 'name'`. */
  label: string;
  /** The server's event stream. */
  url: string;
  /** Sent with the GET and every POST (the registry's headers and credentials). */
  headers: Record<string, string>;
  /** requestMs: time to the endpoint event, and to the first message of an answer; idleMs: longest silence after it. */
  timeouts: { requestMs: number; idleMs: number };
  dispatcher: (origin: string) => Dispatcher;
}

interface Pending {
  clientId: unknown;
  /** The caller's own progress token, when its request carried one. */
  progressToken: unknown;
  queue: MessageQueue;
  /** A message of the answer arrived: the silence allowed from now on is idleMs. */
  heard(): void;
  /** The answer arrived: no more timers. */
  settle(): void;
}

export class LegacySseConnection {
  /** Whether the gateway sent `notifications/initialized` on this connection. */
  initializedSent = false;
  /** The version the server negotiated, sent as MCP-Protocol-Version with each POST. */
  protocolVersion: string | undefined;
  lastUsed = Date.now();
  private endpoint: { origin: string; path: string } | undefined;
  private readonly pending = new Map<number, Pending>();
  private readonly listeners = new Set<MessageQueue>();
  private readonly abort = new AbortController();
  private nextId = 1;
  private failure: Error | undefined;
  private endpointWait: { resolve: () => void; reject: (err: Error) => void } | undefined;

  private constructor(
    private readonly target: SseTarget,
    private readonly onClose: (c: LegacySseConnection) => void,
  ) {}

  /** Opens the stream and waits for its endpoint event (at most requestMs, or until `signal`). */
  static async open(
    target: SseTarget,
    signal: AbortSignal,
    onClose: (c: LegacySseConnection) => void,
  ): Promise<LegacySseConnection> {
    const c = new LegacySseConnection(target, onClose);
    await c.start(signal);
    return c;
  }

  get closed(): boolean {
    return this.failure !== undefined;
  }

  /** Requests waiting for their answer, or a client listening: the connection is in use. */
  get busy(): boolean {
    return this.pending.size > 0 || this.listeners.size > 0;
  }

  /**
   * Sends one request; yields what belongs to it (progress, and see above) and then its response,
   * with the caller's ids. Fails with `timeout` when the first message takes longer than requestMs,
   * a later one longer than idleMs, or `signal` aborts (the server is told it was cancelled).
   */
  request(message: Json, signal: AbortSignal): AsyncGenerator<Json> {
    this.lastUsed = Date.now();
    if (signal.aborted) {
      const late = new MessageQueue();
      late.fail(new SseError('timeout', `${this.target.label} did not answer in time`));
      return late.read();
    }
    const id = this.nextId++;
    const { params, progressToken } = withGatewayProgressToken(message, id);
    const { requestMs, idleMs } = this.target.timeouts;
    let timer: NodeJS.Timeout | undefined;
    const expire = () => {
      if (!this.pending.delete(id)) return;
      clearTimeout(timer);
      queue.fail(new SseError('timeout', `${this.target.label} did not answer in time`));
      this.cancel(id, 'timed out at the gateway');
    };
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', expire);
      this.lastUsed = Date.now();
      // The caller stopped reading before the answer: the server may stop working on it.
      if (this.pending.delete(id)) this.cancel(id, 'the client went away');
    };
    const queue = new MessageQueue(done);
    timer = setTimeout(expire, requestMs);
    this.pending.set(id, {
      clientId: message.id,
      progressToken,
      queue,
      heard: () => {
        clearTimeout(timer);
        timer = setTimeout(expire, idleMs);
      },
      settle: () => clearTimeout(timer),
    });
    signal.addEventListener('abort', expire, { once: true });
    this.send({ jsonrpc: '2.0', id, method: message.method ?? '', ...(params ? { params } : {}) }).catch(
      (err: unknown) => {
        if (!this.pending.delete(id)) return;
        clearTimeout(timer);
        queue.fail(err instanceof Error ? err : new Error(String(err)));
      },
    );
    return queue.read();
  }

  /** The client cancelled its request `clientId`: the server hears it with the connection's id. */
  cancelByClientId(clientId: unknown, reason: unknown): void {
    for (const [id, p] of this.pending) {
      if (p.clientId === clientId) this.cancel(id, typeof reason === 'string' ? reason : undefined);
    }
  }

  /** The session's messages that belong to no request, until the connection closes. */
  listen(): AsyncGenerator<Json> {
    const queue = new MessageQueue(() => {
      this.listeners.delete(queue);
      this.lastUsed = Date.now();
    });
    this.listeners.add(queue);
    return queue.read();
  }

  /** POSTs one message to the endpoint (a notification, an answer, or a request of `request`). */
  async send(message: Json): Promise<void> {
    const endpoint = this.endpoint;
    if (this.failure || !endpoint)
      throw this.failure ?? new SseError('down', `${this.label} is not connected`);
    const headers: Record<string, string> = { ...this.target.headers, 'content-type': 'application/json' };
    if (this.protocolVersion !== undefined) headers['mcp-protocol-version'] = this.protocolVersion;
    let status: number;
    try {
      const res = await this.target.dispatcher(endpoint.origin).request({
        path: endpoint.path,
        method: 'POST',
        headers,
        body: JSON.stringify(message),
        signal: this.abort.signal,
      });
      status = res.statusCode;
      await res.body.dump();
    } catch (err) {
      throw this.failure ?? err;
    }
    if (status < 300) return;
    if (status === 404 || status === 410) {
      const gone = new SseError('stale', `${this.label} no longer knows this connection's session`);
      this.close(gone);
      throw gone;
    }
    throw new SseError(
      status >= 500 ? 'down' : 'refused',
      `${this.label} answered HTTP ${status} to a message`,
    );
  }

  close(reason: Error = new SseError('down', `${this.label}: the connection was closed`)): void {
    if (this.failure) return;
    this.failure = reason;
    this.abort.abort();
    this.endpointWait?.reject(reason);
    const pending = [...this.pending.values()];
    this.pending.clear();
    for (const p of pending) {
      p.settle();
      p.queue.fail(reason);
    }
    for (const l of this.listeners) l.end();
    this.listeners.clear();
    this.onClose(this);
  }

  private get label(): string {
    return this.target.label;
  }

  private async start(signal: AbortSignal): Promise<void> {
    const url = new URL(this.target.url);
    const waitMs = this.target.timeouts.requestMs;
    const endpoint = new Promise<void>((resolve, reject) => (this.endpointWait = { resolve, reject }));
    endpoint.catch(() => undefined);
    const onAbort = () => this.close(new SseError('timeout', `${this.label} did not answer in time`));
    const timer = setTimeout(
      () =>
        this.close(
          new SseError(
            'timeout',
            `${this.label} sent no endpoint event within ${seconds(waitMs)}: is it a legacy HTTP+SSE server (transport SSE)?`,
          ),
        ),
      waitMs,
    );
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
    try {
      const res = await this.target.dispatcher(url.origin).request({
        path: `${url.pathname}${url.search}`,
        method: 'GET',
        headers: { ...this.target.headers, accept: 'text/event-stream' },
        signal: this.abort.signal,
        // The stream is silent between messages for as long as the session lasts.
        bodyTimeout: 0,
      });
      const type = String(res.headers['content-type'] ?? '');
      if (res.statusCode !== 200 || !type.startsWith('text/event-stream')) {
        await res.body.dump().catch(() => undefined);
        throw new SseError(
          res.statusCode >= 500 ? 'down' : 'refused',
          `${this.label} answered HTTP ${res.statusCode}${type ? ` (${type.split(';')[0]})` : ''} to its event stream request: is it a legacy HTTP+SSE server (transport SSE)?`,
        );
      }
      void this.read(res.body);
      await endpoint;
    } catch (err) {
      const reason = this.failure ?? err;
      this.close(reason instanceof Error ? reason : new Error(String(reason)));
      throw reason;
    } finally {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
    }
  }

  private async read(body: AsyncIterable<Uint8Array>): Promise<void> {
    try {
      for await (const raw of sseEvents(body)) {
        const frame = parseSseEvent(raw.toString('utf8'));
        if (!frame) continue;
        const event = frame.event ?? 'message';
        if (event === 'endpoint') {
          if (!this.endpoint) this.setEndpoint(frame.data);
          continue;
        }
        if (event !== 'message' || !this.endpoint) continue;
        const m = parseJson(frame.data);
        if (isObject(m)) this.receive(m);
      }
      this.close(new SseError('down', `${this.label} ended its event stream`));
    } catch (err) {
      this.close(
        this.failure ??
          new SseError(
            'down',
            `${this.label}'s event stream failed: ${err instanceof Error ? err.message : String(err)}`,
          ),
      );
    }
  }

  private setEndpoint(data: string): void {
    const base = new URL(this.target.url);
    let url: URL | undefined;
    try {
      url = data.trim() === '' ? undefined : new URL(data.trim(), base);
    } catch {
      url = undefined;
    }
    if (!url || url.origin !== base.origin || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
      this.close(
        new SseError(
          'refused',
          `${this.label} sent an unusable endpoint event (${JSON.stringify(data.slice(0, 120))}): it must name a URL on ${base.origin}`,
        ),
      );
      return;
    }
    this.endpoint = { origin: url.origin, path: `${url.pathname}${url.search}` };
    this.endpointWait?.resolve();
  }

  private receive(m: Json): void {
    if (typeof m.method !== 'string') {
      const id = typeof m.id === 'number' ? m.id : NaN;
      const p = this.pending.get(id);
      if (!p) return;
      this.pending.delete(id);
      p.settle();
      p.queue.push({ ...m, id: p.clientId as Json[string] });
      p.queue.end();
      return;
    }
    if (m.id !== undefined && m.method === 'ping') {
      void this.send({ jsonrpc: '2.0', id: m.id, result: {} }).catch(() => undefined);
      return;
    }
    if (m.method === 'notifications/progress') {
      const token = isObject(m.params) ? m.params.progressToken : undefined;
      const p =
        typeof token === 'string' && token.startsWith('tg-')
          ? this.pending.get(Number(token.slice(3)))
          : undefined;
      if (p && isObject(m.params)) {
        p.heard();
        p.queue.push({ ...m, params: { ...m.params, progressToken: p.progressToken as Json[string] } });
      }
      return;
    }
    const waiting = [...this.pending.values()];
    const owner = waiting.length === 1 || this.listeners.size === 0 ? waiting[0] : undefined;
    if (owner) {
      owner.heard();
      owner.queue.push(m);
    } else if (this.listeners.size > 0) {
      for (const l of this.listeners) l.push(m);
    } else if (m.id !== undefined) {
      const refusal = {
        jsonrpc: '2.0',
        id: m.id,
        error: {
          code: -32601,
          message: `${m.method} cannot reach the client: no request is waiting and no client listens`,
        },
      };
      void this.send(refusal).catch(() => undefined);
    }
  }

  private cancel(id: number, reason: string | undefined): void {
    const params: Json = { requestId: id, ...(reason !== undefined ? { reason } : {}) };
    void this.send({ jsonrpc: '2.0', method: 'notifications/cancelled', params }).catch(() => undefined);
  }
}

function seconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
