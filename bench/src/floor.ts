import http from 'node:http';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { Pool } from 'undici';

/**
 * Child process: the least an LLM gateway does per request, in plain Node with the libraries Tollgate
 * uses — the pass-through plus what no gateway can skip: the request read whole and parsed (the model
 * decides the route), the caller's key looked up, the answer read whole and its `usage` parsed (token
 * limits, budgets, metrics), a Content-Length response and one JSON access-log line through pino's
 * sonic-boom. No routing table, policies, metrics registry or error formats: what it costs over the
 * pass-through is the part of Tollgate's gap that any Node gateway pays.
 */
const upstream = process.env.BENCH_UPSTREAM_ORIGIN ?? 'http://127.0.0.1:1';
const key = process.env.BENCH_UPSTREAM_KEY ?? '';
const callers = new Map([[process.env.BENCH_CALLER_KEY ?? '', 'bench']]);
const pool = new Pool(upstream, { keepAliveTimeout: 30_000 });
const log = pino.destination({ sync: false, minLength: 4096, contentMode: 'buffer' });
// Buffer mode takes bytes (as Tollgate's logger writes them).
const writeLine = log.write.bind(log) as unknown as (line: Buffer) => boolean;

function usageOf(answer: Buffer): { total_tokens?: number } | undefined {
  const at = answer.lastIndexOf('"usage"');
  if (at === -1) return undefined;
  const open = answer.indexOf('{', at);
  // usage holds only numbers and nested objects of numbers: the braces match without a JSON scanner
  let depth = 0;
  for (let i = open; i < answer.length; i++) {
    if (answer[i] === 0x7b) depth++;
    else if (answer[i] === 0x7d && --depth === 0)
      return JSON.parse(answer.subarray(open, i + 1).toString()) as { total_tokens?: number };
  }
  return undefined;
}

function fail(res: http.ServerResponse, status: number): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end('{"error":{"message":"refused"}}');
}

const server = http.createServer((req, res) => {
  const started = performance.now();
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const raw = Buffer.concat(chunks);
    const auth = req.headers.authorization ?? '';
    const consumer = callers.get(auth.startsWith('Bearer ') ? auth.slice(7) : '');
    let model: unknown;
    try {
      model = (JSON.parse(raw.toString()) as { model?: unknown }).model;
    } catch {
      return fail(res, 400);
    }
    if (!consumer || typeof model !== 'string') return fail(res, consumer ? 400 : 401);
    pool
      .request({
        path: '/v1/chat/completions',
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
        body: raw,
      })
      .then(async (up) => {
        const answer = Buffer.from(await up.body.arrayBuffer());
        const usage = up.statusCode === 200 ? usageOf(answer) : undefined;
        res.writeHead(up.statusCode, [
          'content-type',
          'application/json',
          'content-length',
          String(answer.length),
        ]);
        res.end(answer);
        writeLine(
          Buffer.from(
            `{"level":"info","time":"${new Date().toISOString()}","method":"POST","path":"${req.url}",` +
              `"status":${up.statusCode},"consumer":"${consumer}","model":"${model}",` +
              `"tokens":${usage?.total_tokens ?? 0},"durationMs":${performance.now() - started},"msg":"request"}\n`,
          ),
        );
      })
      .catch(() => fail(res, 502));
  });
});
server.keepAliveTimeout = 65_000;
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`PORT=${(server.address() as AddressInfo).port}\n`);
});
process.on('SIGTERM', () => process.exit(0));
