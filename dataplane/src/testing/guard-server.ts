import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** What the guard service does with the next request. */
export type GuardReply =
  | { kind: 'json'; body: unknown; status?: number; delayMs?: number }
  | { kind: 'raw'; body: string; status: number }
  /** Accepts the connection and never answers. */
  | { kind: 'hang' };

export interface GuardCall {
  headers: http.IncomingHttpHeaders;
  body: Record<string, unknown>;
}

export interface GuardServer {
  url: string;
  calls: GuardCall[];
  /** Decides each reply from the request's JSON body. */
  reply(fn: (body: Record<string, unknown>) => GuardReply): void;
  close(): Promise<void>;
}

/**
 * A real prompt-guard webhook on 127.0.0.1 for tests. Hanging requests and kept-alive sockets are
 * destroyed on close, so tests end promptly.
 */
export async function startGuardServer(): Promise<GuardServer> {
  const calls: GuardCall[] = [];
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  let decide: (body: Record<string, unknown>) => GuardReply = () => ({
    kind: 'json',
    body: { action: 'allow' },
  });
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
      calls.push({ headers: req.headers, body });
      const r = decide(body);
      if (r.kind === 'hang') return;
      const send = () => {
        const text = r.kind === 'raw' ? r.body : JSON.stringify(r.body);
        res.writeHead(r.status ?? 200, { 'content-type': 'application/json' });
        res.end(text);
      };
      if (r.kind === 'json' && r.delayMs) {
        const t = setTimeout(() => {
          timers.delete(t);
          if (!res.destroyed) send();
        }, r.delayMs);
        timers.add(t);
      } else {
        send();
      }
    });
  });
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/check`,
    calls,
    reply(fn) {
      decide = fn;
    },
    close() {
      for (const t of timers) clearTimeout(t);
      for (const s of sockets) s.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
