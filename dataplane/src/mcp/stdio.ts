import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import type { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import type { CompiledMcpStdioServer } from '@tollgate/protocol';
import { isObject, type Json } from '../formats/wire';
import { withGatewayProgressToken } from './progress';
import type { Logger } from '../telemetry/logger';

/**
 * An MCP server the proxy runs as a child process and speaks to over stdin/stdout (standalone mode
 * only). A stdio server has exactly one client, so the gateway is that client and multiplexes every
 * client session over it:
 *
 * - One child per registry per proxy process, started on first use. The gateway initializes it
 *   once, declaring no client capabilities (the server cannot ask for sampling, elicitation or
 *   roots), and answers each client's `initialize` with the server's own result. The server keeps
 *   no per-client session: to a client session it looks like a stateless server.
 * - Each request gets a gateway id on the pipe and its answer goes back with the client's id; a
 *   request's progress token is swapped the same way, so progress notifications reach the client
 *   that asked, on its streamed answer.
 * - The server's notifications that belong to no request (logging, list_changed, resource
 *   updates) have no one client to go to and are dropped; its own `ping`s are answered; its other
 *   requests get a method-not-found error. Clients' `initialized`, `cancelled` and
 *   `roots/list_changed` notifications are not passed on (the gateway sent its own `initialized`).
 * - A child that exits fails the requests it was answering (`down`) and is started again on the
 *   next request, after a back-off that doubles from 0.5 s to 30 s while it keeps crashing. Its
 *   stderr is logged at debug level. The command runs without a shell, with the SDK's safe subset
 *   of the proxy's environment plus the registry's `env`.
 */

export type StdioFailure = 'down' | 'timeout';

export class StdioError extends Error {
  constructor(
    readonly kind: StdioFailure,
    message: string,
  ) {
    super(message);
    this.name = 'StdioError';
  }
}

interface Pending {
  clientId: unknown;
  /** The client's own progress token, when the request carried one. */
  progressToken: unknown;
  push(m: Json): void;
  fail(err: Error): void;
}

const MIN_BACKOFF_MS = 500;
const MAX_BACKOFF_MS = 30_000;
/** A child that lived this long is healthy again: its next crash starts the back-off afresh. */
const STABLE_MS = 60_000;

export class StdioServer {
  private transport: StdioClientTransport | undefined;
  private ready: Promise<Json> | undefined;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private backoffMs = 0;
  private notBefore = 0;
  private startedAt = 0;
  private closed = false;

  constructor(
    readonly name: string,
    readonly config: CompiledMcpStdioServer,
    private readonly logger?: Logger,
  ) {}

  /** The server's initialize result (the child started and initialized if need be). */
  initialize(signal: AbortSignal): Promise<Json> {
    if (this.closed) return Promise.reject(new StdioError('down', `${this.label} is stopped`));
    if (!this.ready) {
      const wait = this.notBefore - Date.now();
      if (wait > 0) {
        return Promise.reject(
          new StdioError('down', `${this.label} crashed; restarting in ${Math.ceil(wait / 1000)}s`),
        );
      }
      this.ready = this.start();
      // A failed start is retried on the next request (after the back-off).
      this.ready.catch(() => undefined);
    }
    return abortable(this.ready, signal, this.label);
  }

  /**
   * Sends one client request; yields its progress notifications (with the client's token) and
   * then its response (with the client's id).
   */
  async request(message: Json, signal: AbortSignal): Promise<AsyncIterable<Json>> {
    await this.initialize(signal);
    const transport = this.transport;
    if (!transport) throw new StdioError('down', `${this.label} is not running`);
    const id = this.nextId++;
    const { params, progressToken } = withGatewayProgressToken(message, id);
    const queue: Json[] = [];
    let wake: (() => void) | undefined;
    let failure: Error | undefined;
    let done = false;
    this.pending.set(id, {
      clientId: message.id,
      progressToken,
      push: (m) => {
        queue.push(m);
        wake?.();
      },
      fail: (err) => {
        failure = err;
        wake?.();
      },
    });
    const onAbort = () => {
      this.pending.get(id)?.fail(new StdioError('timeout', `${this.label} did not answer in time`));
      this.pending.delete(id);
      // The server may stop working on it.
      void transport
        .send({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: id } })
        .catch(() => undefined);
    };
    signal.addEventListener('abort', onAbort, { once: true });
    const out = { jsonrpc: '2.0', id, method: message.method, ...(params ? { params } : {}) };
    // Not awaited: a write to a child that just died waits for a 'drain' that never comes; its
    // exit fails the pending request instead.
    transport.send(out as JSONRPCMessage).catch((err: unknown) => {
      this.pending
        .get(id)
        ?.fail(new StdioError('down', `${this.label} cannot be written to: ${String(err)}`));
    });
    const pending = this.pending;
    return (async function* () {
      try {
        while (!done) {
          const m = queue.shift();
          if (m) {
            if (m.id !== undefined && m.method === undefined) done = true;
            yield m;
            continue;
          }
          if (failure) throw failure;
          await new Promise<void>((resolve) => (wake = resolve));
          wake = undefined;
        }
      } finally {
        pending.delete(id);
        signal.removeEventListener('abort', onAbort);
      }
    })();
  }

  async close(): Promise<void> {
    this.closed = true;
    const t = this.transport;
    this.transport = undefined;
    this.failAll(new StdioError('down', `${this.label} was stopped`));
    await t?.close().catch(() => undefined);
  }

  private get label(): string {
    return `MCP server '${this.name}' (stdio)`;
  }

  private async start(): Promise<Json> {
    // The SDK (and zod under it) is loaded by the first stdio server to start, not by every proxy.
    const { StdioClientTransport } = await import('@modelcontextprotocol/sdk/client/stdio.js');
    const { LATEST_PROTOCOL_VERSION } = await import('@modelcontextprotocol/sdk/types.js');
    if (this.closed) throw new StdioError('down', `${this.label} was stopped`);
    const transport = new StdioClientTransport({
      command: this.config.command,
      args: this.config.args,
      env: this.config.env,
      stderr: 'pipe',
    });
    this.transport = transport;
    this.startedAt = Date.now();
    transport.onmessage = (m) => this.receive(transport, m as unknown as Json);
    transport.onclose = () => this.exited(transport);
    transport.onerror = (err) =>
      this.logger?.debug({ server: this.name, err: err.message }, 'mcp stdio error');
    const stderr = transport.stderr;
    if (stderr) {
      createInterface({ input: stderr as Readable }).on('line', (line) =>
        this.logger?.debug({ server: this.name, stderr: line }, 'mcp stdio server stderr'),
      );
    }
    try {
      await transport.start();
    } catch (err) {
      this.exited(transport);
      throw new StdioError('down', `${this.label} could not be started: ${String(err)}`);
    }
    const init = await this.call(transport, 'initialize', {
      protocolVersion: LATEST_PROTOCOL_VERSION,
      capabilities: {},
      clientInfo: { name: 'tollgate', version: '1' },
    });
    void transport.send({ jsonrpc: '2.0', method: 'notifications/initialized' }).catch(() => undefined);
    this.logger?.info({ server: this.name, pid: transport.pid }, 'mcp stdio server started');
    return init;
  }

  /** A request of the gateway's own (initialize), awaited to its result. */
  private async call(transport: StdioClientTransport, method: string, params: Json): Promise<Json> {
    const id = this.nextId++;
    const answer = new Promise<Json>((resolve, reject) => {
      this.pending.set(id, {
        clientId: id,
        progressToken: undefined,
        push: (m) => {
          this.pending.delete(id);
          if (isObject(m.result)) resolve(m.result);
          else reject(new StdioError('down', `${this.label} refused ${method}: ${JSON.stringify(m.error)}`));
        },
        fail: reject,
      });
    });
    transport
      .send({ jsonrpc: '2.0', id, method, params } as JSONRPCMessage)
      .catch((err: unknown) => this.pending.get(id)?.fail(new StdioError('down', String(err))));
    return answer;
  }

  private receive(transport: StdioClientTransport, m: Json): void {
    if (typeof m.method === 'string') {
      if (m.id !== undefined) {
        // The server's own request: the gateway declared no client capabilities.
        const reply =
          m.method === 'ping'
            ? { jsonrpc: '2.0', id: m.id, result: {} }
            : {
                jsonrpc: '2.0',
                id: m.id,
                error: { code: -32601, message: `${m.method} is not available through the gateway` },
              };
        void transport.send(reply as JSONRPCMessage).catch(() => undefined);
        return;
      }
      const token = isObject(m.params) ? m.params.progressToken : undefined;
      const owner = typeof token === 'string' && token.startsWith('tg-') ? Number(token.slice(3)) : NaN;
      const p = this.pending.get(owner);
      if (p && isObject(m.params)) p.push({ ...m, params: { ...m.params, progressToken: p.progressToken } });
      return;
    }
    const p = typeof m.id === 'number' ? this.pending.get(m.id) : undefined;
    if (p) p.push({ ...m, id: p.clientId as Json[string] });
  }

  private exited(transport: StdioClientTransport): void {
    if (this.transport !== transport) return;
    this.transport = undefined;
    this.ready = undefined;
    const lived = Date.now() - this.startedAt;
    this.backoffMs =
      lived >= STABLE_MS
        ? MIN_BACKOFF_MS
        : Math.min(MAX_BACKOFF_MS, Math.max(MIN_BACKOFF_MS, this.backoffMs * 2));
    this.notBefore = Date.now() + this.backoffMs;
    if (!this.closed)
      this.logger?.warn({ server: this.name, restartInMs: this.backoffMs }, 'mcp stdio server exited');
    this.failAll(new StdioError('down', `${this.label} exited`));
  }

  private failAll(err: Error): void {
    for (const p of this.pending.values()) p.fail(err);
    this.pending.clear();
  }
}

function abortable<T>(p: Promise<T>, signal: AbortSignal, label: string): Promise<T> {
  if (signal.aborted) return Promise.reject(new StdioError('timeout', `${label} did not answer in time`));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new StdioError('timeout', `${label} did not answer in time`));
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
