import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { buildConfig, ManifestLoadError } from '../cli/src/standalone';
import { createLogger } from '@tollgate/dataplane';
import { startMockOpenAIUpstream } from '@tollgate/dataplane/testing/mock-openai-upstream';
import { openAIFor } from './clients';
import { ROOT } from './process';
import { standaloneOn } from './standalone';
import { acmeGatewayYaml, consumerHeadYaml, secretYaml } from './manifests';

/**
 * Standalone mode takes a provider key from the environment or a file (`${env:…}`, `${file:…}` in a
 * Secret's stringData): the upstream receives the real key, and no log line or dump shows it.
 */
const FROM_ENV = 'sk-upstream-from-env-7f3a';
const FROM_FILE = 'sk-upstream-from-file-9c1d';
const VARIABLE = 'TOLLGATE_E2E_UPSTREAM_KEY';

const manifests = (upstream: string, value: string) => `
${secretYaml('upstream', `apiKey: "${value}"`)}---
${secretYaml('caller', 'key: sk-caller')}---
${acmeGatewayYaml()}---
apiVersion: tollgate.dev/v1alpha1
kind: Registry
metadata: {name: openai}
spec:
  provider: openai-compatible
  baseUrl: ${upstream}
  credentials: {secretRef: {name: upstream, key: apiKey}}
---
${consumerHeadYaml('caller', 'key')}  routes: [{model: gpt-4o-mini, targets: [{registryRef: {name: openai}}]}]
`;

function capturingLogger() {
  const lines: string[] = [];
  const logger = createLogger({
    level: 'trace',
    destination: new Writable({
      write(chunk: Buffer, _enc, cb) {
        lines.push(chunk.toString());
        cb();
      },
    }),
  });
  return { logger, lines };
}

describe('Secret values from the environment or a file (standalone)', () => {
  it.each([
    ['${env:TOLLGATE_E2E_UPSTREAM_KEY}', FROM_ENV],
    ['${file:KEYFILE}', FROM_FILE],
  ])('%s reaches the upstream and appears in no log or dump', async (reference, key) => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'tollgate-secret-'));
    const keyFile = path.join(dir, 'key');
    await writeFile(keyFile, `${FROM_FILE}\n`);
    process.env[VARIABLE] = FROM_ENV;
    const { logger, lines } = capturingLogger();
    const upstream = await startMockOpenAIUpstream({ apiKey: key });
    const tg = await standaloneOn(manifests(upstream.url, reference.replace('KEYFILE', keyFile)), logger);
    try {
      const client = openAIFor(tg.base, 'app', 'sk-caller');
      const reply = await client.chat.completions.create({
        model: 'gpt-4o-mini',
        messages: [{ role: 'user', content: 'hi' }],
      });
      expect(reply.choices[0]?.message.content).toBeTruthy();
      expect(upstream.requests.at(-1)?.headers.authorization).toBe(`Bearer ${key}`);
      const dump = await (await fetch(`${tg.ops}/config_dump`)).text();
      expect(dump).not.toContain(key);
    } finally {
      await tg.stop();
      await upstream.close();
      delete process.env[VARIABLE];
    }
    expect(lines.length).toBeGreaterThan(2);
    expect(lines.join('')).not.toContain(key);
  });

  it('a variable that is not set stops the start, naming it and no value', async () => {
    delete process.env[VARIABLE];
    const started = standaloneOn(manifests('http://127.0.0.1:9/v1', '${env:TOLLGATE_E2E_UPSTREAM_KEY}'));
    await expect(started).rejects.toThrow(ManifestLoadError);
    await expect(started).rejects.toThrow(
      'Secret default/upstream stringData.apiKey: environment variable TOLLGATE_E2E_UPSTREAM_KEY is not set',
    );
  });
});

it('examples/openai takes its key from $OPENAI_API_KEY', async () => {
  const previous = process.env.OPENAI_API_KEY;
  process.env.OPENAI_API_KEY = 'sk-example-from-env';
  try {
    const built = await buildConfig([path.join(ROOT, 'examples/openai')]);
    const registry = built.resources.find((r) => r.kind === 'Registry' && r.name === 'default/openai');
    expect(registry?.kind === 'Registry' && registry.body.apiKey).toBe('sk-example-from-env');
  } finally {
    if (previous === undefined) delete process.env.OPENAI_API_KEY;
    else process.env.OPENAI_API_KEY = previous;
  }
});
