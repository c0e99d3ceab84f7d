import path from 'node:path';
import OpenAI from 'openai';
import { compile } from '@tollgate/controller/compile';
import { DiscoveryServer } from '@tollgate/controller/discovery/server';
import { loadManifests } from '@tollgate/controller/manifests/load';
import { eventually, startTollgate } from './process';

/** `tollgate dataplane --discovery`: the real proxy process fed over gRPC instead of files. */
it('is unready until the first full sync, serves streamed config, survives the controller, drains on SIGTERM', async () => {
  let ready = false;
  const server = new DiscoveryServer({ ready: () => ready });
  const result = compile(await loadManifests([path.resolve(__dirname, '../examples/quickstart')]));
  server.setResources(result.resources, result.fleets, 'v1');
  const port = await server.listen('127.0.0.1:0');
  const tg = await startTollgate(
    ['--discovery', `127.0.0.1:${port}`, '--fleet', 'default', '--node-id', 'e2e-1'],
    {
      command: 'dataplane',
    },
  );
  try {
    const readyz = async () => (await fetch(`http://127.0.0.1:${tg.opsPort}/readyz`)).status;
    expect(await readyz()).toBe(503);
    ready = true;
    await eventually(async () => (await readyz()) === 200, 10_000);

    const client = new OpenAI({
      baseURL: `http://127.0.0.1:${tg.port}/my-app/v1`,
      apiKey: 'sk-tollgate-demo-key',
      defaultHeaders: { 'X-AG-Gateway-Slug': 'demo' },
      maxRetries: 0,
    });
    const ask = () =>
      client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] });
    expect((await ask()).choices[0]?.message.content).toBe('Echo: hi');

    const dump = (await (await fetch(`http://127.0.0.1:${tg.opsPort}/config_dump`)).json()) as {
      resources: { kind: string; name: string; version: string }[];
    };
    expect(dump.resources.map((r) => `${r.kind}/${r.name}@${r.version}`).sort()).toEqual(
      result.resources.map((r) => `${r.kind}/${r.name}@${r.version}`).sort(),
    );

    await server.close();
    expect((await ask()).choices[0]?.message.content).toBe('Echo: hi');
    expect(await readyz()).toBe(200);

    expect(await tg.stop('SIGTERM')).toBe(0);
  } finally {
    await tg.stop('SIGKILL');
    await server.close().catch(() => undefined);
  }
});
