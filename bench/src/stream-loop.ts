import { Agent, request } from 'undici';
import { answerProblem, firstTokenProbe } from './first-token';
import { percentile, type Measurement } from './report';
import type { Target } from './targets';

/**
 * Streaming: `connections` loops for the duration, each timing first byte and whole stream, and with
 * `ttft` the first token (see first-token.ts); a 2xx stream that never carries a token is an error.
 * This stays an undici loop in the bench process: wrk times whole responses only and cannot parse
 * the events up to the first token.
 */
export async function streamLoop(
  t: Target,
  opts: { connections: number; durationSec: number },
  ttft: boolean,
): Promise<Measurement> {
  const agent = new Agent({ connections: opts.connections, keepAliveTimeout: 30_000 });
  const ttfb: number[] = [];
  const tokens: number[] = [];
  const total: number[] = [];
  let errors = 0;
  let non2xx = 0;
  const deadline = performance.now() + opts.durationSec * 1000;
  const loop = async () => {
    while (performance.now() < deadline) {
      const start = performance.now();
      try {
        const res = await request(t.url, {
          method: 'POST',
          dispatcher: agent,
          headers: { 'content-type': 'application/json', ...t.headers },
          body: t.body,
        });
        const probe = ttft ? firstTokenProbe(t.format) : undefined;
        let first = true;
        let token = false;
        for await (const chunk of res.body as AsyncIterable<Buffer>) {
          if (first) {
            ttfb.push(performance.now() - start);
            first = false;
          }
          if (probe && !token && probe.push(chunk)) {
            tokens.push(performance.now() - start);
            token = true;
          }
        }
        if (res.statusCode >= 300) non2xx++;
        else if (probe && !token) errors++;
        total.push(performance.now() - start);
      } catch {
        errors++;
      }
    }
  };
  await Promise.all(Array.from({ length: opts.connections }, loop));
  await agent.close();
  return {
    target: t.name,
    requestsPerSec: total.length / opts.durationSec,
    p50Ms: percentile(total, 50),
    p99Ms: percentile(total, 99),
    ttfbP50Ms: percentile(ttfb, 50),
    ttfbP99Ms: percentile(ttfb, 99),
    ...(ttft ? { ttftP50Ms: percentile(tokens, 50), ttftP99Ms: percentile(tokens, 99) } : {}),
    requests: total.length,
    errors,
    non2xx,
  };
}

/** One request: why the answer is not a real completion (or stream of one), undefined when it is. */
export async function check(t: Target, stream: boolean): Promise<string | undefined> {
  const res = await request(t.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...t.headers },
    body: t.body,
  });
  const text = await res.body.text();
  if (res.statusCode >= 300) return `HTTP ${res.statusCode}: ${text.slice(0, 200)}`;
  const missing = (t.expectHeaders ?? []).filter((h) => res.headers[h] === undefined);
  if (missing.length > 0) return `missing response headers ${missing.join(', ')}`;
  if (!stream) return answerProblem(t.format, text);
  return firstTokenProbe(t.format).push(Buffer.from(text)) ? undefined : `no token in ${text.slice(0, 200)}`;
}
