import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import { everything } from '@tollgate/controller/api/testdata/everything';
import { ruleViolations, withChange } from '@tollgate/controller/api/testdata/violations';
import { loadManifests } from '@tollgate/controller/manifests/load';
import { startTestCluster, type TestCluster } from './apiserver';

/**
 * The CRDs against a real kube-apiserver (built from source on first use, see build-apiserver.sh):
 * they install, the examples apply, invalid manifests are refused by the API server's own schema and
 * CEL checks — and standalone mode's validator refuses exactly the same manifests.
 */
const ROOT = path.resolve(__dirname, '../..');
let cluster: TestCluster;
/** The namespace the every-field fixtures are dry-run into. */
let fixtures = 'everything';
const placed = (o: unknown) => {
  const obj = o as { metadata: Record<string, unknown> };
  return { ...obj, metadata: { ...obj.metadata, namespace: fixtures } };
};

const kubectl = (args: string[], input?: string) => cluster.kubectl(args, input);

beforeAll(async () => {
  cluster = await startTestCluster();
  const applied = kubectl(['apply', '-f', path.join(ROOT, 'crds')]);
  expect(applied.err).toBe('');
  const established = kubectl(['wait', '--for=condition=Established', 'crd', '--all', '--timeout=60s']);
  expect(established.code).toBe(0);
  fixtures = cluster.ns('everything');
  expect(kubectl(['create', 'namespace', fixtures]).code).toBe(0);
}, 20 * 60_000);

afterAll(async () => {
  await cluster?.stop();
});

describe('CRDs on a real API server', () => {
  it('accept the quickstart as it is, with printer columns, short names and the tollgate category', () => {
    expect(kubectl(['apply', '-f', path.join(ROOT, 'examples/quickstart')]).code).toBe(0);
    const all = kubectl(['get', 'tollgate']);
    expect(all.out).toMatch(/gateway\.tollgate\.dev\/demo\s+demo\s+default/);
    expect(kubectl(['get', 'tcon', 'my-app', '-o', 'name']).out.trim()).toBe('consumer.tollgate.dev/my-app');
    const explain = kubectl(['explain', 'registry.spec.timeouts.idle']);
    expect(explain.out).toContain('Longest silence between two chunks of a streamed body');
  });

  it('apply the same defaults as standalone mode', async () => {
    const server = JSON.parse(kubectl(['get', 'consumer', 'my-app', '-o', 'json']).out) as { spec: unknown };
    const local = await loadManifests([path.join(ROOT, 'examples/quickstart/consumer.yaml')]);
    expect(local.objects[0]?.spec).toEqual(server.spec);
  });

  const base = (kind: string, spec: string) =>
    `apiVersion: tollgate.dev/v1alpha1\nkind: ${kind}\nmetadata: {name: bad}\nspec:\n${spec}`;
  const consumer = (routes: string, credentials = '{apiKeys: [{secretRef: {name: k, key: key}}]}') =>
    base(
      'Consumer',
      `  gatewayRef: {name: g}\n  slug: c\n  credentials: ${credentials}\n  routes: ${routes}\n`,
    );

  it.each([
    [
      'CEL: baseUrl required',
      base('Registry', '  provider: openai-compatible\n'),
      'baseUrl is required for provider openai-compatible',
    ],
    [
      'CEL: mock settings',
      base(
        'Registry',
        '  provider: openai\n  credentials: {secretRef: {name: s, key: k}}\n  mock: {latency: 1s}\n',
      ),
      'mock settings are only allowed when provider is mock',
    ],
    [
      'CEL: a credential',
      consumer('[{model: m, targets: [{registryRef: {name: r}}]}]', '{apiKeys: []}'),
      'at least one apiKey or jwt issuer is required',
    ],
    [
      'CEL: weights',
      consumer('[{model: m, targets: [{registryRef: {name: r}, weight: 0}]}]'),
      'weights must add up to more than 0',
    ],
    [
      'list map: duplicate route',
      consumer(
        '[{model: m, targets: [{registryRef: {name: r}}]}, {model: m, targets: [{registryRef: {name: r}}]}]',
      ),
      'Duplicate value',
    ],
    ['pattern: slug', base('Gateway', '  slug: Not_A_Label\n'), 'spec.slug'],
    ['enum: provider', base('Registry', '  provider: skynet\n'), 'spec.provider'],
    [
      'range: failure rate',
      base('Registry', '  provider: mock\n  mock: {failureRate: 2}\n'),
      'spec.mock.failureRate',
    ],
    ['unknown field', base('Gateway', '  slug: g\n  colour: blue\n'), 'unknown field "spec.colour"'],
  ])('refuse %s — and so does standalone validation', async (_name, manifest, message) => {
    const applied = kubectl(['apply', '--validate=strict', '-f', '-'], manifest);
    expect(applied.code).not.toBe(0);
    expect(applied.err).toContain(message);

    const dir = await mkdtemp(path.join(os.tmpdir(), 'tollgate-parity-'));
    await writeFile(path.join(dir, 'bad.yaml'), manifest);
    const local = await loadManifests([dir]);
    expect(local.objects).toHaveLength(0);
    expect(local.errors.length).toBeGreaterThan(0);
  });

  it('accept the fixture that sets every field of every kind, strictly', () => {
    for (const kind of ['Gateway', 'Registry', 'Consumer', 'Policy'] as const) {
      const applied = kubectl(
        ['apply', '--validate=strict', '--dry-run=server', '-f', '-'],
        stringify(placed(everything[kind])),
      );
      expect(applied.err).toBe('');
    }
  });

  it.each(ruleViolations.map(([kind, change, at, message]) => ({ kind, change, at, message })))(
    'the API server refuses the $kind CEL violation at $at with "$message", as standalone does',
    async ({ kind, change, message }) => {
      const manifest = stringify(placed(withChange(kind, change)));
      const applied = kubectl(['apply', '--dry-run=server', '-f', '-'], manifest);
      expect(applied.code).not.toBe(0);
      expect(applied.err).toContain(message);
      const dir = await mkdtemp(path.join(os.tmpdir(), 'tollgate-rule-'));
      await writeFile(path.join(dir, 'v.yaml'), manifest);
      const local = await loadManifests([dir]);
      expect(local.errors.map((e) => e.message)).toContain(message);
    },
  );
});
