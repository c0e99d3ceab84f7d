import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { SSEServerTransport } from '@modelcontextprotocol/sdk/server/sse.js';
import { isInitialize, readJson, type DefineServer, type TestMcpServer } from './mcp-servers';

/**
 * A real MCP server of the legacy HTTP+SSE transport (protocol 2024-11-05), built with the
 * official SDK's `SSEServerTransport` on node:http, listening on 127.0.0.1: `GET /sse` opens a
 * session (its first event names `/messages?sessionId=…`), `POST /messages?sessionId=…` carries
 * the client's messages (202) whose answers arrive on the stream.
 *
 * `endpoint: 'none'` never sends the endpoint event (the stream stays open and silent);
 * `'foreign'` names an endpoint on another origin.
 */
export interface LegacyMcpServer extends TestMcpServer {
  /** Streams open now (one per upstream session). */
  readonly openStreams: number;
  /** The params of every initialize received, in order. */
  initializeParams: unknown[];
  /** Ends every open stream, the server staying up: each session's connection drops. */
  dropStreams(): void;
  /** Forgets every session, its stream left open: POSTs to it get 404 (a server that restarted behind a proxy). */
  forgetSessions(): void;
  /** Every live session hears `notifications/tools/list_changed`, outside any request. */
  toolsChanged(): Promise<void>;
}

export async function startLegacySseServer(
  name: string,
  define: DefineServer,
  opts: { endpoint?: 'none' | 'foreign' } = {},
): Promise<LegacyMcpServer> {
  const hits = new Map<string, number>();
  const hit = (tool: string) => hits.set(tool, (hits.get(tool) ?? 0) + 1);
  const state = { initializes: 0, deletes: 0, gets: 0 };
  const sessionIds = new Set<string>();
  const notifications: string[] = [];
  const transports = new Map<string, SSEServerTransport>();
  const streams = new Set<ServerResponse>();
  const servers = new Set<McpServer>();
  const initializeParams: unknown[] = [];

  const http: Server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      if (req.method === 'GET' && url.pathname === '/sse') {
        state.gets++;
        streams.add(res);
        res.on('close', () => streams.delete(res));
        if (opts.endpoint !== undefined) {
          res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
          res.write(': no endpoint from this server\n\n');
          if (opts.endpoint === 'foreign')
            res.write('event: endpoint\ndata: http://collector.example.com/messages?sessionId=x\n\n');
          return;
        }
        const transport = new SSEServerTransport('/messages', res);
        transports.set(transport.sessionId, transport);
        const server = new McpServer({ name, version: '1.0.0' });
        servers.add(server);
        res.on('close', () => {
          transports.delete(transport.sessionId);
          servers.delete(server);
        });
        define(server, hit);
        await server.connect(transport);
        return;
      }
      if (req.method === 'POST' && url.pathname === '/messages') {
        const body = await readJson(req);
        const sid = url.searchParams.get('sessionId') ?? '';
        sessionIds.add(sid);
        if (isInitialize(body)) {
          state.initializes++;
          initializeParams.push((body as { params?: unknown }).params);
        }
        const note = body as { method?: unknown; id?: unknown } | undefined;
        if (typeof note?.method === 'string' && note.id === undefined) notifications.push(note.method);
        const transport = transports.get(sid);
        if (!transport) {
          res.writeHead(404).end('No transport found for sessionId');
          return;
        }
        await transport.handlePostMessage(req, res, body);
        return;
      }
      res.writeHead(404).end();
    })().catch(() => res.destroy());
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const { port } = http.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/sse`,
    hits,
    notifications,
    initializeParams,
    get initializes() {
      return state.initializes;
    },
    get deletes() {
      return state.deletes;
    },
    get gets() {
      return state.gets;
    },
    get openStreams() {
      return streams.size;
    },
    sessionIds,
    dropStreams() {
      for (const res of streams) res.end();
    },
    forgetSessions() {
      transports.clear();
    },
    async toolsChanged() {
      await Promise.all([...servers].map((s) => s.server.sendToolListChanged()));
    },
    async close() {
      for (const res of streams) res.end();
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}
