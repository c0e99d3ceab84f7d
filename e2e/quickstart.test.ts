import { mkdtemp, readFile, writeFile, cp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import http from 'node:http';
import OpenAI from 'openai';
import { ROOT, eventually, startTollgate, type RunningTollgate } from './process';

/** The README's first command, as a user runs it: the built CLI on the bundled quickstart. */
describe('tollgate run -f examples/quickstart (real process, official OpenAI SDK)', () => {
  let tg: RunningTollgate;
  let client: OpenAI;
  beforeAll(async () => {
    tg = await startTollgate(['-f', path.join(ROOT, 'examples/quickstart')]);
    client = new OpenAI({
      baseURL: `http://127.0.0.1:${tg.port}/my-app/v1`,
      apiKey: 'sk-tollgate-demo-key',
      defaultHeaders: { 'X-AG-Gateway-Slug': 'demo' },
      maxRetries: 0,
    });
  });
  afterAll(async () => {
    await tg?.stop();
  });

  it('answers a chat completion and tags the selected provider and model', async () => {
    const { data, response } = await client.chat.completions
      .create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Hello there' }] })
      .withResponse();
    expect(data.object).toBe('chat.completion');
    expect(data.choices[0]?.message.content).toContain('Hello there');
    expect(data.usage?.total_tokens).toBeGreaterThan(0);
    expect(response.headers.get('x-selected-provider')).toBe('mock');
    expect(response.headers.get('x-selected-model')).toBe('mock-small');
  });

  it('streams chunk by chunk, ending with usage when asked', async () => {
    const stream = await client.chat.completions.create({
      model: 'smart',
      stream: true,
      stream_options: { include_usage: true },
      messages: [{ role: 'user', content: 'one two three four' }],
    });
    const pieces: string[] = [];
    let usage: OpenAI.CompletionUsage | null | undefined;
    for await (const chunk of stream) {
      pieces.push(chunk.choices[0]?.delta?.content ?? '');
      if (chunk.usage) usage = chunk.usage;
    }
    expect(pieces.filter(Boolean).length).toBeGreaterThan(2);
    expect(pieces.join('')).toContain('one two three four');
    expect(usage?.completion_tokens).toBeGreaterThan(0);
  });

  it('lists the consumer models and finds the gateway by Host', async () => {
    // fetch will not send a custom Host header; a plain node:http request does, as curl would
    const res = await httpGet(tg.port, '/my-app/v1/models', {
      host: `demo.localhost:${tg.port}`,
      authorization: 'Bearer sk-tollgate-demo-key',
    });
    expect(res.status).toBe(200);
    const body = JSON.parse(res.body) as { data: { id: string }[] };
    expect(body.data.map((m) => m.id)).toEqual(['gpt-4o-mini', 'smart']);
  });

  it('refuses a wrong key through the SDK as AuthenticationError', async () => {
    const bad = new OpenAI({
      baseURL: `http://127.0.0.1:${tg.port}/my-app/v1`,
      apiKey: 'sk-wrong',
      defaultHeaders: { 'X-AG-Gateway-Slug': 'demo' },
      maxRetries: 0,
    });
    await expect(
      bad.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'x' }] }),
    ).rejects.toBeInstanceOf(OpenAI.AuthenticationError);
  });

  it('serves health, readiness, metrics and a redacted config dump on the ops port', async () => {
    const ops = `http://127.0.0.1:${tg.opsPort}`;
    expect((await fetch(`${ops}/healthz`)).status).toBe(200);
    // Ready once the config is applied and warmed up (--warmup, 1.5 s at most).
    await eventually(async () => (await fetch(`${ops}/readyz`)).status === 200, 5000);
    const metrics = await (await fetch(`${ops}/metrics`)).text();
    expect(metrics).toMatch(
      /tollgate_requests_total\{gateway="demo",consumer="my-app",registry="default\/mock",model="gpt-4o-mini",status="200"\} \d+/,
    );
    expect(metrics).toContain('tollgate_request_duration_seconds_bucket');
    const dump = await (await fetch(`${ops}/config_dump`)).text();
    expect(dump).toContain('"slug":"my-app"');
    expect(dump).toMatch(/"version":"[0-9a-f]{16}"/);
    expect(dump).not.toContain('sk-tollgate-demo-key');
  });

  it('writes one JSON access-log line per request, without keys', async () => {
    await client.chat.completions.create(
      { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'log me' }] },
      {
        headers: { 'x-request-id': 'e2e-log-check' },
      },
    );
    await eventually(() => tg.logs.some((l) => l.requestId === 'e2e-log-check'));
    const line = tg.logs.find((l) => l.requestId === 'e2e-log-check');
    expect(line).toMatchObject({ msg: 'request', status: 200, gateway: 'demo', consumer: 'my-app' });
    expect(JSON.stringify(tg.logs)).not.toContain('sk-tollgate-demo-key');
  });
});

describe('hot reload and graceful shutdown (real process)', () => {
  it('swaps config on edit, keeps the last good one on a broken edit, and drains streams on SIGTERM', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'tollgate-reload-'));
    await cp(path.join(ROOT, 'examples/quickstart'), dir, { recursive: true });
    const registryFile = path.join(dir, 'registry.yaml');
    const original = await readFile(registryFile, 'utf8');
    const tg = await startTollgate(['-f', dir, '--grace-period', '10']);
    try {
      const client = new OpenAI({
        baseURL: `http://127.0.0.1:${tg.port}/my-app/v1`,
        apiKey: 'sk-tollgate-demo-key',
        defaultHeaders: { 'X-AG-Gateway-Slug': 'demo' },
        maxRetries: 0,
      });
      const ask = async () =>
        (
          await client.chat.completions.create({
            model: 'gpt-4o-mini',
            messages: [{ role: 'user', content: 'hi' }],
          })
        ).choices[0]?.message.content;

      // a valid edit: a fixed reply
      await writeFile(
        registryFile,
        original.replace('chunkDelay: 10ms', 'chunkDelay: 10ms\n    reply: reloaded reply'),
      );
      await eventually(async () => (await ask()) === 'reloaded reply');

      // a broken edit: the object keeps its last good version and the reason is logged
      const brokenMsg =
        'manifests have errors; the objects they held keep their previous version, other changes apply';
      await writeFile(registryFile, original.replace('provider: mock', 'provider: 12'));
      await eventually(() => tg.logs.some((l) => l.msg === brokenMsg));
      expect(await ask()).toBe('reloaded reply');
      const rejected = tg.logs.find((l) => l.msg === brokenMsg);
      expect(JSON.stringify(rejected)).toContain('registry.yaml');

      // a slow stream is in flight when SIGTERM arrives: it finishes, readiness drops, the process exits 0
      await writeFile(
        registryFile,
        original.replace('chunkDelay: 10ms', 'chunkDelay: 150ms\n    reply: a b c d e f g h i j'),
      );
      await eventually(async () => (await ask()) === 'a b c d e f g h i j');
      const stream = await client.chat.completions.create({
        model: 'gpt-4o-mini',
        stream: true,
        messages: [{ role: 'user', content: 'x' }],
      });
      const received: string[] = [];
      const reading = (async () => {
        for await (const chunk of stream) received.push(chunk.choices[0]?.delta?.content ?? '');
      })();
      await new Promise((r) => setTimeout(r, 300));
      tg.proc.kill('SIGTERM');
      await eventually(async () => {
        const res = await fetch(`http://127.0.0.1:${tg.opsPort}/readyz`).catch(() => undefined);
        return res === undefined || res.status === 503;
      });
      await reading;
      expect(received.join('')).toBe('a b c d e f g h i j');
      expect(await tg.exited).toBe(0);
    } finally {
      await tg.stop('SIGKILL');
    }
  });
});

function httpGet(
  port: number,
  path: string,
  headers: Record<string, string>,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path, headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}
