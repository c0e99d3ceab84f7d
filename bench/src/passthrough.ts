import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Pool } from 'undici';

/**
 * Child process: the floor any proxy pays — a node:http server forwarding each request with an undici
 * pool and piping the answer back, with no auth, routing, parsing or metrics.
 */
const upstream = process.env.BENCH_UPSTREAM_ORIGIN ?? 'http://127.0.0.1:1';
const key = process.env.BENCH_UPSTREAM_KEY ?? '';
const pool = new Pool(upstream, { keepAliveTimeout: 30_000 });

const server = http.createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    pool
      .request({
        path: req.url ?? '/',
        method: (req.method ?? 'GET') as 'GET' | 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
        body: Buffer.concat(chunks),
      })
      .then(
        (up) => {
          res.writeHead(up.statusCode, {
            'content-type': String(up.headers['content-type'] ?? 'application/json'),
          });
          up.body.pipe(res);
        },
        () => {
          res.writeHead(502);
          res.end();
        },
      );
  });
});
server.keepAliveTimeout = 65_000;
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`PORT=${(server.address() as AddressInfo).port}\n`);
});
process.on('SIGTERM', () => process.exit(0));
