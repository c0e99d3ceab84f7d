import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';
import { parseDataplaneFlags, parseRunFlags, UsageError } from './args';
import { main } from './tollgate';

const QUICKSTART = path.resolve(__dirname, '../../examples/quickstart');

async function run(argv: string[]) {
  let out = '';
  let err = '';
  const code = await main(argv, { out: (s) => (out += s), err: (s) => (err += s) });
  return { code, out, err };
}

describe('tollgate validate', () => {
  it('passes the quickstart', async () => {
    const r = await run(['validate', '-f', QUICKSTART]);
    expect(r).toMatchObject({ code: 0, err: '' });
    expect(r.out).toContain('ok: 3 objects valid, 3 resources compiled');
  });

  it('exits 1 naming file, document and field for schema errors', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'tollgate-cli-'));
    await writeFile(
      path.join(dir, 'bad.yaml'),
      'apiVersion: tollgate.dev/v1alpha1\nkind: Gateway\nmetadata: {name: g}\nspec: {slug: g}\n---\napiVersion: tollgate.dev/v1alpha1\nkind: Registry\nmetadata: {name: r}\nspec: {provider: mock, mock: {failureRate: 3}}\n',
    );
    const r = await run(['validate', '-f', dir]);
    expect(r.code).toBe(1);
    expect(r.err).toContain(
      `${path.join(dir, 'bad.yaml')} (document 2): spec.mock.failureRate: must be <= 1`,
    );
  });

  it('exits 1 for objects compile refuses, with their conditions', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'tollgate-cli-'));
    await writeFile(
      path.join(dir, 'refs.yaml'),
      'apiVersion: tollgate.dev/v1alpha1\nkind: Registry\nmetadata: {name: r}\nspec: {provider: a2a, baseUrl: "https://agent.example.com"}\n',
    );
    const r = await run(['validate', '-f', dir]);
    expect(r.code).toBe(1);
    expect(r.err).toContain(
      "Registry default/r: Accepted=False (Unsupported): spec.provider: 'a2a' is not supported yet: the A2A endpoint is not served",
    );
  });
});

describe('tollgate compile', () => {
  it('prints compiled resources as YAML with secrets redacted', async () => {
    const r = await run(['compile', '-f', QUICKSTART]);
    expect(r.code).toBe(0);
    const view = parse(r.out) as {
      resources: { kind: string; body: Record<string, unknown> }[];
      fleets: Record<string, string[]>;
    };
    expect(view.resources.map((x) => x.kind)).toEqual(['Gateway', 'Registry', 'Consumer']);
    expect(view.resources[2]?.body.apiKeys).toBe(1);
    expect(view.fleets.default).toHaveLength(3);
    expect(r.out).not.toContain('sk-tollgate-demo-key');
    expect(r.out).not.toMatch(/[0-9a-f]{64}/);
  });

  it('prints JSON with -o json', async () => {
    const r = await run(['compile', '-f', QUICKSTART, '-o', 'json']);
    expect(JSON.parse(r.out)).toHaveProperty('statuses');
  });
});

describe('usage errors exit 2 with the usage text', () => {
  it.each([
    [['frobnicate'], "unknown command 'frobnicate'"],
    [['validate'], 'at least one -f <file|dir> is required'],
    [['compile', '-f', QUICKSTART, '-o', 'xml'], '--output must be yaml or json'],
    [['validate', '--bogus'], "Unknown option '--bogus'"],
  ])('%j', async (argv, message) => {
    const r = await run(argv);
    expect(r.code).toBe(2);
    expect(r.err).toContain(message);
    expect(r.err).toContain('Usage:');
  });
  it('a missing path is a clear error', async () => {
    const r = await run(['validate', '-f', '/nonexistent/dir']);
    expect(r.code).toBe(1);
    expect(r.err).toContain('ENOENT');
  });
});

describe('run flags', () => {
  it('takes flags over environment over defaults', () => {
    expect(parseRunFlags(['-f', 'x'], {})).toMatchObject({
      host: '127.0.0.1',
      port: 8081,
      opsPort: 9091,
      watch: true,
      gracePeriodMs: 10_000,
    });
    expect(
      parseRunFlags(['-f', 'x'], {
        TOLLGATE_PORT: '9000',
        TOLLGATE_OPS_PORT: '9001',
        TOLLGATE_HOST: '0.0.0.0',
        TOLLGATE_GRACE_PERIOD: '3',
      }),
    ).toMatchObject({ host: '0.0.0.0', port: 9000, opsPort: 9001, gracePeriodMs: 3000 });
    expect(
      parseRunFlags(['-f', 'x', '--port', '7000', '--no-watch'], { TOLLGATE_PORT: '9000' }),
    ).toMatchObject({ port: 7000, watch: false });
  });
  it.each([
    [['-f', 'x', '--port', '70000'], '--port must be a port number'],
    [['-f', 'x', '--ops-port', 'abc'], '--ops-port must be a port number'],
    [['-f', 'x', '--grace-period=-1'], '--grace-period must be a number of seconds'],
  ])('%j', (argv, message) => {
    expect(() => parseRunFlags(argv, {})).toThrow(UsageError);
    expect(() => parseRunFlags(argv, {})).toThrow(message);
  });
});

describe('dataplane flags', () => {
  it('requires a discovery address, by flag or environment', () => {
    expect(() => parseDataplaneFlags([], {})).toThrow(
      '--discovery <host:port> (or TOLLGATE_DISCOVERY) is required',
    );
    expect(
      parseDataplaneFlags([], { TOLLGATE_DISCOVERY: 'controller:9977', HOSTNAME: 'pod-a' }),
    ).toMatchObject({
      discovery: 'controller:9977',
      fleet: 'default',
      nodeId: 'pod-a',
      port: 8081,
      opsPort: 9091,
    });
    expect(
      parseDataplaneFlags(['--discovery', 'c:1', '--fleet', 'edge', '--node-id', 'n1'], {}),
    ).toMatchObject({
      fleet: 'edge',
      nodeId: 'n1',
    });
  });
});
