import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import OpenAI from 'openai';
import { capturedLogger } from '@tollgate/dataplane/testing/captured-logs';
import { openAIFor } from './clients';
import { standaloneOn, type InProcessTollgate } from './standalone';
import { acmeGatewayYaml, secretYaml } from './manifests';

/**
 * A bad edit is not an outage, in standalone mode and per object: a file edited into an invalid
 * object keeps serving that object's previous version while every other edit applies; the log and
 * the reload metrics say so; deleting the object removes it.
 */
const KEY = 'sk-bad-edit-key';

const shared = (reply: string) => `
${secretYaml('app-key', `key: ${KEY}`)}---
${acmeGatewayYaml()}---
apiVersion: tollgate.dev/v1alpha1
kind: Registry
metadata: {name: mock}
spec:
  provider: mock
  models: [{name: mock-small, aliases: [gpt-4o-mini]}]
  mock: {latency: 1ms, reply: ${reply}}
`;
/** The Consumer on its own: one route called `model`, to the mock's `upstream` model. */
const consumer = (model: string, slug = 'app', upstream = 'gpt-4o-mini') => `
apiVersion: tollgate.dev/v1alpha1
kind: Consumer
metadata: {name: app}
spec:
  gatewayRef: {name: acme}
  slug: ${JSON.stringify(slug)}
  credentials: {apiKeys: [{secretRef: {name: app-key, key: key}}]}
  routes: [{model: ${JSON.stringify(model)}, targets: [{registryRef: {name: mock}, model: ${upstream}}]}]
`;

type ApiError = InstanceType<typeof OpenAI.APIError>;

describe('standalone: a bad edit keeps the last accepted version of that object', () => {
  let tg: InProcessTollgate;
  let consumerFile: string;
  const logs = capturedLogger();
  const client = () => openAIFor(tg.base, 'app', KEY);
  const ask = async (model: string) =>
    (await client().chat.completions.create({ model, messages: [{ role: 'user', content: 'hi' }] }))
      .choices[0]?.message.content;
  const metric = async (name: string) =>
    Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(await (await fetch(`${tg.ops}/metrics`)).text())?.[1]);
  const failures = () => metric('tollgate_config_reload_failures_total');
  const lastSuccess = () => metric('tollgate_config_last_reload_success_timestamp_seconds');
  const messages = () => logs.lines().map((l) => String(l.msg));

  beforeAll(async () => {
    tg = await standaloneOn(shared('first'), logs.logger);
    consumerFile = path.join(path.dirname(tg.file), 'consumer.yaml');
    await writeFile(consumerFile, consumer('chat'));
    expect(await tg.tollgate.reload()).toBe(true);
  });
  afterAll(async () => {
    await tg.stop();
  });

  it('serves the loaded config, and a clean load sets the last-success time', async () => {
    expect(await ask('chat')).toBe('first');
    expect(await failures()).toBe(0);
    expect(await lastSuccess()).toBeGreaterThan(Date.now() / 1000 - 60);
  });

  it('an edit compile rejects: the previous generation stays served, other edits apply, log and metric say so', async () => {
    const before = await lastSuccess();
    // A typo'd model the Registry does not serve: valid YAML and schema, rejected by compile.
    await writeFile(consumerFile, consumer('chat', 'app', 'gpt-4o-minii'));
    await writeFile(tg.file, shared('second'));
    expect(await tg.tollgate.reload()).toBe(true);

    expect(await ask('chat')).toBe('second');
    const warning = logs.lines().find((l) => l.kind === 'Consumer' && l.condition === 'Accepted');
    expect(warning?.msg).toMatch(
      /does not serve model 'gpt-4o-minii' \(generation 1, the last accepted, is still served\)/,
    );
    expect(await failures()).toBe(1);
    expect(await lastSuccess()).toBe(before);
  });

  it('a file that no longer passes the schema: its object keeps its previous version, the rest applies', async () => {
    await writeFile(consumerFile, consumer('chat', 'Not A Slug'));
    await writeFile(tg.file, shared('third'));
    expect(await tg.tollgate.reload()).toBe(true);

    expect(await ask('chat')).toBe('third');
    expect(messages()).toContain(
      'manifests have errors; the objects they held keep their previous version, other changes apply',
    );
    expect(messages()).toContain(
      'Consumer/default/app: its file has errors; the version loaded before is still served',
    );
    expect(await failures()).toBe(2);
  });

  it('a fixed edit replaces it and counts as a success', async () => {
    await writeFile(consumerFile, consumer('renamed'));
    expect(await tg.tollgate.reload()).toBe(true);
    expect(await ask('renamed')).toBe('third');
    const gone = (await client()
      .chat.completions.create({ model: 'chat', messages: [{ role: 'user', content: 'x' }] })
      .catch((e: unknown) => e)) as ApiError;
    expect(gone.status).toBe(404);
    expect(await failures()).toBe(2);
    expect(await lastSuccess()).toBeGreaterThan(Date.now() / 1000 - 60);
  });

  it('deleting the object removes it, even after a bad edit', async () => {
    await writeFile(consumerFile, consumer('renamed', 'app', 'typo'));
    expect(await tg.tollgate.reload()).toBe(false); // generation 2 still served: nothing changed
    expect(await ask('renamed')).toBe('third');
    await rm(consumerFile);
    expect(await tg.tollgate.reload()).toBe(true);
    const err = (await client()
      .chat.completions.create({ model: 'renamed', messages: [{ role: 'user', content: 'x' }] })
      .catch((e: unknown) => e)) as ApiError;
    expect(err.status).toBe(404);
    expect(err.code).toBe('consumer_not_found');
  });

  it('a reference that does not resolve counts as a failed reload too', async () => {
    const before = await failures();
    await writeFile(consumerFile, consumer('chat').replace('{name: mock}', '{name: mokc}'));
    expect(await tg.tollgate.reload()).toBe(true);
    expect(await failures()).toBe(before + 1);
    const warning = logs.lines().find((l) => l.condition === 'ResolvedRefs' && l.reason === 'RefNotFound');
    expect(warning?.msg).toMatch(/Registry 'mokc' not found/);
  });
});
