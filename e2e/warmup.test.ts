import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {
  startMockOpenAIUpstream,
  type MockOpenAIUpstream,
} from '@tollgate/dataplane/testing/mock-openai-upstream';
import { openAIFor } from './clients';
import { acmeGatewayYaml, consumerHeadYaml, secretYaml } from './manifests';
import { eventually, startTollgate, type RunningTollgate } from './process';

/**
 * `tollgate run` as a user starts it (real process, warm-up on by default): readiness waits for the
 * warm-up, which sends nothing to the upstream and logs one debug line; then real traffic is served
 * and counted as usual.
 */
describe('tollgate run warms up before it reports ready', () => {
  let upstream: MockOpenAIUpstream;
  let tg: RunningTollgate | undefined;
  afterEach(async () => {
    await tg?.stop();
    tg = undefined;
    await upstream.close();
  });

  it('readiness waits for the warm-up; the upstream sees no request until a caller sends one', async () => {
    upstream = await startMockOpenAIUpstream({ apiKey: 'sk-up' });
    const dir = await mkdtemp(path.join(os.tmpdir(), 'tollgate-warmup-'));
    await writeFile(
      path.join(dir, 'config.yaml'),
      `${secretYaml('keys', 'up: sk-up, app: sk-app')}---
${acmeGatewayYaml()}---
apiVersion: tollgate.dev/v1alpha1
kind: Registry
metadata: {name: up}
spec:
  provider: openai-compatible
  baseUrl: ${upstream.url}
  credentials: {secretRef: {name: keys, key: up}}
---
${consumerHeadYaml('keys', 'app')}  routes: [{model: gpt-4o-mini, targets: [{registryRef: {name: up}}]}]
`,
    );
    tg = await startTollgate(['-f', dir, '--no-watch', '--log-level', 'debug']);
    const seen = new Set<string>();
    for (let i = 0; i < 400; i++) {
      const res = await fetch(`http://127.0.0.1:${tg.opsPort}/readyz`);
      seen.add(((await res.json()) as { status: string }).status);
      if (res.status === 200) break;
      await new Promise((r) => setTimeout(r, 25));
    }
    expect(seen).toContain('warming up');
    expect(seen).toContain('ready');
    // Log lines are written in batches (at least every 250 ms).
    const logs = tg.logs;
    await eventually(() => logs.some((l) => l.msg === 'warm-up done'));
    const done = logs.find((l) => l.msg === 'warm-up done');
    expect(done).toMatchObject({ level: 'debug', preconnected: 4, failed: 0 });
    expect(done?.shapes).toEqual(['openai-chat>openai-chat []', 'openai-chat>openai-chat stream []']);
    expect(done?.statuses).toEqual({ 200: done?.requests });
    expect(upstream.requests).toHaveLength(0);
    expect(tg.logs.filter((l) => l.msg === 'request')).toHaveLength(0);

    const client = openAIFor(`http://127.0.0.1:${tg.port}`, 'app', 'sk-app');
    const answer = await client.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'hi' }],
    });
    expect(answer.choices[0]?.message.content).toBe('Echo: hi');
    expect(upstream.requests).toHaveLength(1);
    const metrics = await (await fetch(`http://127.0.0.1:${tg.opsPort}/metrics`)).text();
    expect(metrics).toMatch(/^tollgate_requests_total\{[^}]*status="200"\} 1$/m);
  });
});
