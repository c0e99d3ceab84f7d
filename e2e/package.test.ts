import { cp, mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { openAIFor } from './clients';
import { ROOT, runToEnd, startTollgate } from './process';

/**
 * What a user gets from `npm pack` + `npm install -g <tarball>`: the packed package installed into a
 * fresh prefix (dependencies from the npm cache where it has them, the native addon built), its
 * `tollgate` command run from outside the repository on a copy of the quickstart. About 40 s,
 * most of it npm building hnswlib-node.
 */
const npm = (args: string[], cwd = ROOT) => runToEnd(args, { command: 'npm', cwd });

let dir: string;
let bin: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'tollgate-package-'));
  const packed = await npm(['pack', '--pack-destination', dir]);
  expect(packed.code).toBe(0);
  const filename = packed.stdout.trim().split('\n').at(-1) ?? '';
  expect(filename).toMatch(/^tollgate-.+\.tgz$/);
  const installed = await npm(
    ['install', '-g', '--prefix', path.join(dir, 'prefix'), path.join(dir, filename)].concat([
      '--prefer-offline',
      '--no-audit',
      '--no-fund',
    ]),
    dir,
  );
  expect(installed.stderr).not.toMatch(/npm error/);
  expect(installed.code).toBe(0);
  bin = path.join(dir, 'prefix/bin/tollgate');
}, 300_000);

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('the packed package, installed with npm install -g', () => {
  it('has a tollgate command that knows its version', async () => {
    const { version } = JSON.parse(await readFile(path.join(ROOT, 'package.json'), 'utf8')) as {
      version: string;
    };
    const r = await runToEnd(['--version'], { command: bin, cwd: dir });
    expect(r).toMatchObject({ code: 0, stdout: `tollgate ${version}\n` });
  });

  it('runs the quickstart from a folder outside the repository and answers a request', async () => {
    const quickstart = path.join(dir, 'quickstart');
    await cp(path.join(ROOT, 'examples/quickstart'), quickstart, { recursive: true });
    const tg = await startTollgate(['-f', quickstart], { cli: bin, timeoutMs: 30_000 });
    try {
      const client = openAIFor(`http://127.0.0.1:${tg.port}`, 'my-app', 'sk-tollgate-demo-key', {
        gateway: 'demo',
      });
      const reply = await client.chat.completions.create({
        model: 'gpt-4o-mini',
        messages: [{ role: 'user', content: 'installed' }],
      });
      expect(reply.choices[0]?.message.content).toBeTruthy();
    } finally {
      expect(await tg.stop()).toBe(0);
    }
  });

  it('ships the runtime files and no tests, sources or build state', async () => {
    const pkg = path.join(dir, 'prefix/lib/node_modules/tollgate');
    // Its own files and the workspace packages it bundles (node_modules/@tollgate/*), not its dependencies.
    const listed = await runToEnd(
      ['-c', 'find . ./node_modules/@tollgate -path ./node_modules -prune -o -type f -print'],
      {
        command: 'sh',
        cwd: pkg,
      },
    );
    const files = listed.stdout.split('\n').filter(Boolean);
    for (const needed of [
      './dist/cli/src/tollgate.js',
      './crds/tollgate.dev_gateways.yaml',
      './protocol/schema/v1alpha1.json',
      './protocol/proto/discovery.proto',
      './examples/quickstart/consumer.yaml',
      './README.md',
      './docs/configuration.md',
      ...['protocol', 'controller', 'dataplane'].map((p) => `./node_modules/@tollgate/${p}/dist/index.js`),
    ])
      expect(files).toContain(needed);
    expect(
      files.filter((f) => /\.(test\.js|ts|map|tsbuildinfo)$/.test(f) || f.includes('/testing/')),
    ).toEqual([]);
  });
});
