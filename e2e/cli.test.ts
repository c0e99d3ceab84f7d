import { readFile } from 'node:fs/promises';
import net, { type AddressInfo } from 'node:net';
import path from 'node:path';
import { openAIFor } from './clients';
import { eventually, ROOT, runToEnd, startTollgate } from './process';

async function quickstartYaml(): Promise<string> {
  const files = ['gateway.yaml', 'registry.yaml', 'consumer.yaml'];
  const texts = await Promise.all(
    files.map((f) => readFile(path.join(ROOT, 'examples/quickstart', f), 'utf8')),
  );
  return texts.join('\n---\n');
}

describe('-f - reads the manifests from standard input', () => {
  it('validate', async () => {
    const r = await runToEnd(['validate', '-f', '-'], { input: await quickstartYaml() });
    expect(r).toMatchObject({ code: 0, stdout: 'ok: 3 objects valid, 3 resources compiled\n' });
  });

  it('names <stdin> in errors', async () => {
    const r = await runToEnd(['validate', '-f', '-'], {
      input: 'apiVersion: tollgate.dev/v1alpha1\nkind: Gateway\nmetadata: {name: g}\n',
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('<stdin> (document 1): spec: ');
  });

  it('run serves them (read once, nothing to watch), noting the documents it skips', async () => {
    const configMap = 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings}\n';
    const tg = await startTollgate(['-f', '-'], { stdin: `${await quickstartYaml()}\n---\n${configMap}` });
    try {
      const notice = '<stdin> (document 5): skipped v1 ConfigMap settings: not a Tollgate kind';
      await eventually(() => tg.logs.some((l) => l.msg === notice));
      const client = openAIFor(`http://127.0.0.1:${tg.port}`, 'my-app', 'sk-tollgate-demo-key', {
        gateway: 'demo',
      });
      const reply = await client.chat.completions.create({
        model: 'gpt-4o-mini',
        messages: [{ role: 'user', content: 'from stdin' }],
      });
      expect(reply.choices[0]?.message.content).toBeTruthy();
    } finally {
      expect(await tg.stop()).toBe(0);
    }
  });
});

describe('tollgate run on the quickstart', () => {
  it('logs JSON with level names and ISO times, then a listening banner whose curl command works', async () => {
    const tg = await startTollgate(['-f', path.join(ROOT, 'examples/quickstart')]);
    try {
      const prefix = `listening on http://127.0.0.1:${tg.port} — try: `;
      await eventually(() => tg.logs.some((l) => String(l.msg).startsWith(prefix)));
      for (const line of tg.logs) {
        expect(['debug', 'info', 'warn', 'error']).toContain(line.level);
        expect(line.time).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
      }
      const banner = String(tg.logs.find((l) => String(l.msg).startsWith(prefix))?.msg);
      expect(banner).not.toContain('\n');
      expect(banner).not.toContain('sk-tollgate-demo-key');
      const command = banner.slice(prefix.length).replace(/ {2}\(TOLLGATE_API_KEY: .*\)$/, '');
      expect(command).toMatch(/^curl /);
      const r = await runToEnd(['-c', command], {
        command: 'sh',
        env: { ...process.env, TOLLGATE_API_KEY: 'sk-tollgate-demo-key' },
      });
      expect(r.code).toBe(0);
      const body = JSON.parse(r.stdout) as { object: string; choices: { message: { content: string } }[] };
      expect(body.object).toBe('chat.completion');
      expect(body.choices[0]?.message.content).toBeTruthy();
    } finally {
      await tg.stop();
    }
  });

  it('a port in use is an error with a hint about --port', async () => {
    const busy = net.createServer();
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
    const port = (busy.address() as AddressInfo).port;
    try {
      const r = await runToEnd([
        'run',
        '-f',
        path.join(ROOT, 'examples/quickstart'),
        '--port',
        String(port),
        '--ops-port',
        '0',
      ]);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(
        `tollgate run: listen EADDRINUSE: address already in use 127.0.0.1:${port}\n`,
      );
      expect(r.stderr).toContain(
        'hint: another process (another tollgate?) listens there; stop it or choose free ports with --port / --ops-port',
      );
    } finally {
      busy.close();
    }
  });
});
