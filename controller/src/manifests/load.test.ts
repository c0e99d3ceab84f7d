import { mkdtemp, mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { formatManifestError, formatSkipped, loadManifests } from './load';

async function tmpFiles(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'tollgate-load-'));
  for (const [name, text] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(dir, name)), { recursive: true });
    await writeFile(path.join(dir, name), text);
  }
  return dir;
}

const gateway = `apiVersion: tollgate.dev/v1alpha1
kind: Gateway
metadata: {name: g}
spec: {slug: g}
`;
const registry = (extra = '') => `apiVersion: tollgate.dev/v1alpha1
kind: Registry
metadata: {name: r, namespace: team}
spec:
  provider: mock${extra}
`;
const consumer = (spec: string) => `apiVersion: tollgate.dev/v1alpha1
kind: Consumer
metadata: {name: c}
spec:
  gatewayRef: {name: g}
${spec}`;
const goodConsumerSpec = `  slug: c
  credentials: {apiKeys: [{secretRef: {name: k, key: key}}]}
  routes: [{model: m, targets: [{registryRef: {name: r}}]}]
`;

async function errorsOf(text: string) {
  const dir = await tmpFiles({ 'x.yaml': text });
  const r = await loadManifests([dir]);
  return r.errors.map((e) => ({ path: e.path, message: e.message, document: e.document }));
}

describe('loadManifests', () => {
  it('reads files and directories recursively, multi-document, skipping empty documents', async () => {
    const dir = await tmpFiles({
      'a.yaml': `${gateway}---\n---\n${registry()}`,
      'nested/b.yml': 'apiVersion: v1\nkind: Secret\nmetadata: {name: k}\nstringData: {key: v}\n',
      'ignored.txt': 'not yaml',
    });
    const r = await loadManifests([dir]);
    expect(r.errors).toEqual([]);
    expect(r.objects.map((o) => `${o.kind}/${o.metadata.namespace}/${o.metadata.name}`)).toEqual([
      'Gateway/default/g',
      'Registry/team/r',
    ]);
    expect(r.secrets.map((s) => s.metadata.name)).toEqual(['k']);
    const single = await loadManifests([path.join(dir, 'a.yaml')]);
    expect(single.objects).toHaveLength(2);
  });

  it('reads a directory in name order and ignores a directory named like a manifest', async () => {
    const dir = await tmpFiles({
      'b.yaml': registry(),
      'a.yml': gateway,
      'c.yaml/inner.txt': 'not a manifest',
    });
    const r = await loadManifests([dir]);
    expect(r.errors).toEqual([]);
    expect(r.objects.map((o) => o.kind)).toEqual(['Gateway', 'Registry']);
  });

  it('applies CRD defaults, namespace and generation like the API server', async () => {
    const dir = await tmpFiles({ 'c.yaml': `${gateway}---\n${consumer(goodConsumerSpec)}` });
    const r = await loadManifests([dir]);
    expect(r.errors).toEqual([]);
    const [g, c] = r.objects;
    expect(g?.metadata).toMatchObject({ namespace: 'default', generation: 1 });
    // like the API server, defaults apply inside objects that are present, not to absent parents
    expect(g?.kind === 'Gateway' && g.spec).toEqual({ slug: 'g', fleet: 'default' });
    expect(c?.kind === 'Consumer' && c.spec.routes?.[0]).toMatchObject({
      strategy: 'LatencyAware',
      targets: [{ weight: 1, priority: 0 }],
    });
  });

  it('applies defaults inside optional blocks that are present', async () => {
    const r = await loadManifests([
      await tmpFiles({
        'r.yaml': registry('\n  timeouts: {connect: 2s}\n  mock: {reply: hi}'),
        'g.yaml': gateway.replace('spec: {slug: g}', 'spec: {slug: g, defaults: {}}'),
      }),
    ]);
    expect(r.errors).toEqual([]);
    const spec = (kind: string) => r.objects.find((o) => o.kind === kind)?.spec;
    expect(spec('Registry')).toEqual({
      provider: 'mock',
      timeouts: { connect: '2s', request: '300s', idle: '60s' },
      mock: { reply: 'hi', latency: '0ms', chunkDelay: '0ms', failureRate: 0, failureStatus: 500 },
    });
    expect(spec('Gateway')).toMatchObject({
      defaults: { maxRequestBodyBytes: 10485760, requestTimeout: '300s' },
    });
  });

  it('fills the active health check defaults when `active` is present, and checks its fields', async () => {
    const load = async (active: string) =>
      loadManifests([await tmpFiles({ 'r.yaml': registry(`\n  healthCheck: {active: ${active}}`) })]);
    const ok = await load('{}');
    expect(ok.errors).toEqual([]);
    expect(ok.objects[0]?.spec).toMatchObject({
      healthCheck: { active: { interval: '10s', timeout: '2s', unhealthyThreshold: 3, healthyThreshold: 2 } },
    });
    const bad = await load('{path: models, unhealthyThreshold: 0}');
    expect(bad.errors.map((e) => [e.path, e.message])).toEqual([
      ['spec.healthCheck.active.unhealthyThreshold', expect.stringContaining('must be >= 1')],
      ['spec.healthCheck.active.path', expect.stringContaining('must match pattern')],
    ]);
  });

  it.each([
    ['unknown field', registry('\n  colour: blue'), 'spec.colour', 'unknown field'],
    ['wrong type', registry('\n  models: {name: a}'), 'spec.models', 'must be array'],
    ['bad enum', registry().replace('mock', 'skynet'), 'spec.provider', 'must be one of: openai'],
    [
      'missing required field',
      registry().replace('provider: mock', 'baseUrl: http://x'),
      'spec.provider',
      'required field is missing',
    ],
    [
      'slug not a DNS label',
      consumer(goodConsumerSpec.replace('slug: c', 'slug: Not_OK')),
      'spec.slug',
      'must match pattern',
    ],
    [
      'bad duration',
      registry('\n  timeouts: {connect: 10 seconds}'),
      'spec.timeouts.connect',
      'must match pattern',
    ],
    ['number out of range', registry('\n  mock: {failureRate: 2}'), 'spec.mock.failureRate', 'must be <= 1'],
    [
      'CEL: baseUrl required for openai-compatible',
      registry().replace('mock', 'openai-compatible'),
      'spec',
      'baseUrl is required for provider openai-compatible',
    ],
    [
      'CEL: mock settings only for mock',
      registry('\n  baseUrl: http://x\n  mock: {latency: 1s}').replace(
        'provider: mock',
        'provider: openai-compatible',
      ),
      'spec',
      'mock settings are only allowed when provider is mock',
    ],
    [
      'CEL: a credential is required',
      consumer(goodConsumerSpec.replace('{apiKeys: [{secretRef: {name: k, key: key}}]}', '{apiKeys: []}')),
      'spec.credentials',
      'at least one apiKey or jwt issuer is required',
    ],
    [
      'CEL: weights add up to more than 0',
      consumer(goodConsumerSpec.replace('{registryRef: {name: r}}', '{registryRef: {name: r}, weight: 0}')),
      'spec.routes[0].targets',
      'weights must add up to more than 0',
    ],
    [
      'list map: a model routed twice',
      consumer(
        goodConsumerSpec.replace(
          'routes: [{model: m, targets: [{registryRef: {name: r}}]}]',
          'routes: [{model: m, targets: [{registryRef: {name: r}}]}, {model: m, targets: [{registryRef: {name: r}}]}]',
        ),
      ),
      'spec.routes[1]',
      'duplicate entry for key ["m"]',
    ],
    [
      'unknown kind of the Tollgate API',
      'apiVersion: tollgate.dev/v1alpha1\nkind: Route\nmetadata: {name: d}\n',
      '',
      "unsupported kind 'Route'",
    ],
    ['no apiVersion', 'kind: Gateway\nmetadata: {name: g}\n', '', "unsupported kind 'Gateway'"],
    ['not a mapping', '- a\n- b\n', '', 'a manifest must be a YAML mapping'],
    [
      'Secret data not base64',
      'apiVersion: v1\nkind: Secret\nmetadata: {name: s}\ndata: {k: "not base64!"}\n',
      'data.k',
      'must be base64',
    ],
    ['bad metadata.name', gateway.replace('name: g', 'name: G!'), 'metadata.name', 'must match pattern'],
    [
      'no metadata',
      'apiVersion: tollgate.dev/v1alpha1\nkind: Gateway\nspec: {slug: g}\n',
      'metadata',
      'required',
    ],
    [
      'unknown version of a Tollgate kind',
      gateway.replace('v1alpha1', 'v1'),
      '',
      "unsupported kind 'Gateway' of apiVersion 'tollgate.dev/v1'",
    ],
    ['baseUrl not http(s)', registry('\n  baseUrl: ftp://x'), 'spec.baseUrl', 'must be an http or https URL'],
    [
      'CEL: a Policy without plugins',
      'apiVersion: tollgate.dev/v1alpha1\nkind: Policy\nmetadata: {name: p}\nspec: {targetRefs: [{kind: Gateway, name: g}], plugins: {}}\n',
      'spec.plugins',
      'at least one plugin is required',
    ],
    [
      'Policy without targets',
      'apiVersion: tollgate.dev/v1alpha1\nkind: Policy\nmetadata: {name: p}\nspec: {targetRefs: [], plugins: {cors: {allowOrigins: ["*"]}}}\n',
      'spec.targetRefs',
      'must NOT have fewer than 1 items',
    ],
    [
      'CEL: rate limit by Header without header',
      'apiVersion: tollgate.dev/v1alpha1\nkind: Policy\nmetadata: {name: p}\nspec: {targetRefs: [{kind: Gateway, name: g}], plugins: {rateLimit: {requests: 1, window: 1s, key: Header}}}\n',
      'spec.plugins.rateLimit',
      'header is required when key is Header',
    ],
    [
      'route without targets',
      consumer(goodConsumerSpec.replace('targets: [{registryRef: {name: r}}]', 'targets: []')),
      'spec.routes[0].targets',
      'must NOT have fewer than 1 items',
    ],
    ...(
      [
        [
          'a header name that is not a token',
          '[{header: "x tier", values: [a]}]',
          '[0].header',
          'must match pattern',
        ],
        [
          'a body field that is not a dotted path',
          '[{field: "a..b", values: [a]}]',
          '[0].field',
          'must match pattern',
        ],
        [
          'a condition without values',
          '[{header: x-tier, values: []}]',
          '[0].values',
          'must NOT have fewer than 1',
        ],
        [
          'a condition with 17 values',
          `[{header: x-tier, values: [${Array.from({ length: 17 }, (_, i) => `v${i}`).join(', ')}]}]`,
          '[0].values',
          'must NOT have more than 16',
        ],
        ['an empty match', '[]', '', 'must NOT have fewer than 1'],
        [
          'CEL: header and field together',
          '[{header: x, field: y, values: [a]}]',
          '[0]',
          'set exactly one of header or field',
        ],
      ] as const
    ).map(([name, match, at, message]): [string, string, string, string] => [
      `match: ${name}`,
      consumer(
        goodConsumerSpec.replace('{registryRef: {name: r}}', `{registryRef: {name: r}, match: ${match}}`),
      ),
      `spec.routes[0].targets[0].match${at}`,
      message,
    ]),
    [
      'CEL: a reserved route name',
      consumer(goodConsumerSpec.replace('model: m', 'model: "pool:m"')),
      'spec.routes[0].model',
      "model names starting with '@' or 'pool:' are reserved",
    ],
    [
      'Secret with a bad key',
      'apiVersion: v1\nkind: Secret\nmetadata: {name: s}\nstringData: {"a key": v}\n',
      'stringData.a key',
      'key must consist of',
    ],
    [
      'Secret with a bad name',
      'apiVersion: v1\nkind: Secret\nmetadata: {name: Secret_1}\nstringData: {k: v}\n',
      'metadata.name',
      'must be a DNS subdomain',
    ],
  ])('%s', async (_name, text, at, message) => {
    const errors = await errorsOf(text);
    expect(errors).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ path: at, message: expect.stringContaining(message) }),
      ]),
    );
  });

  it('reports a YAML syntax error with its line, and still loads the other documents', async () => {
    const dir = await tmpFiles({ 'x.yaml': `${gateway}---\nspec: [unclosed\n`, 'y.yaml': registry() });
    const r = await loadManifests([dir]);
    expect(r.objects.map((o) => o.kind)).toEqual(['Gateway', 'Registry']);
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0]).toMatchObject({ document: 2 });
    expect(r.errors[0]?.message).toMatch(/YAML syntax error at line \d+/);
  });

  it('refuses duplicates and names file, document and field in the message', async () => {
    const dir = await tmpFiles({ 'a.yaml': `${gateway}---\n${gateway}` });
    const r = await loadManifests([dir]);
    expect(r.objects).toHaveLength(1);
    expect(r.errors.map(formatManifestError)).toEqual([
      `${path.join(dir, 'a.yaml')} (document 2): metadata.name: duplicate Gateway default/g (first in ${path.join(dir, 'a.yaml')} (document 1))`,
    ]);
  });

  it('formats an error as file (document n): field: message', async () => {
    const dir = await tmpFiles({
      'x.yaml': `${gateway}---\n${consumer(goodConsumerSpec.replace('{registryRef: {name: r}}', '{registryRef: {name: r}, weight: 2000000}'))}`,
    });
    const r = await loadManifests([path.join(dir, 'x.yaml')]);
    expect(r.errors.map(formatManifestError)).toEqual([
      `${path.join(dir, 'x.yaml')} (document 2): spec.routes[0].targets[0].weight: must be <= 1000000`,
    ]);
    expect(r.objects.map((o) => o.kind)).toEqual(['Gateway']);
  });

  it('keeps Secret data and stringData', async () => {
    const dir = await tmpFiles({
      's.yaml':
        'apiVersion: v1\nkind: Secret\nmetadata: {name: s, namespace: team}\ndata: {a: aGk=}\nstringData: {b: plain}\n',
    });
    const r = await loadManifests([dir]);
    expect(r.errors).toEqual([]);
    expect(r.secrets).toEqual([
      {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: 's', namespace: 'team', generation: 1 },
        data: { a: 'aGk=' },
        stringData: { b: 'plain' },
      },
    ]);
  });

  it('reports a missing path in plain words, without a document number', async () => {
    const dir = await tmpFiles({ 'g.yaml': gateway });
    const r = await loadManifests([dir, '/nonexistent/tollgate']);
    expect(r.objects).toEqual([]);
    expect(r.errors.map(formatManifestError)).toEqual(['/nonexistent/tollgate: no such file or directory']);
  });

  it('skips documents of other APIs with a notice, and loads the rest', async () => {
    const dir = await tmpFiles({
      'app.yaml': `apiVersion: argoproj.io/v1alpha1
kind: Application
metadata: {name: tollgate, namespace: argocd}
spec: {project: default}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: settings}
data: {a: b}
---
${gateway}---
apiVersion: apps/v1
kind: Deployment
metadata: {name: d}
`,
    });
    const r = await loadManifests([dir]);
    expect(r.errors).toEqual([]);
    expect(r.objects.map((o) => o.kind)).toEqual(['Gateway']);
    const file = path.join(dir, 'app.yaml');
    expect(r.skipped.map(formatSkipped)).toEqual([
      `${file} (document 1): skipped argoproj.io/v1alpha1 Application tollgate: not a Tollgate kind`,
      `${file} (document 2): skipped v1 ConfigMap settings: not a Tollgate kind`,
      `${file} (document 4): skipped apps/v1 Deployment d: not a Tollgate kind`,
    ]);
  });
});
