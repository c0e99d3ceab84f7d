import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';
import { parseDataplaneFlags, parseRunFlags, UsageError } from './args';
import { main } from './tollgate';

const QUICKSTART = path.resolve(__dirname, '../../examples/quickstart');
/** A Consumer whose route names a Registry that does not exist. */
const DANGLING = path.resolve(
  __dirname,
  '../../controller/src/compile/testdata/03-dangling-registry/input.yaml',
);

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
      'apiVersion: tollgate.dev/v1alpha1\nkind: Registry\nmetadata: {name: r}\nspec: {provider: mcp, baseUrl: "https://tools.example.com", mcp: {url: "https://tools.example.com/mcp"}}\n',
    );
    const r = await run(['validate', '-f', dir]);
    expect(r.code).toBe(1);
    expect(r.err).toContain(
      'Registry default/r: Accepted=False (Invalid): spec.baseUrl: not used by provider mcp; set spec.mcp.url',
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

  it('exits 1 where validate does, naming each problem, and prints no config', async () => {
    const validated = await run(['validate', '-f', DANGLING]);
    const r = await run(['compile', '-f', DANGLING]);
    expect(validated.code).toBe(1);
    expect(r.code).toBe(1);
    expect(r.out).toBe('');
    expect(r.err).toContain(validated.err);
    expect(r.err).toContain(
      "Consumer default/c: ResolvedRefs=False (RefNotFound): spec.routes[0].targets[1].registryRef: Registry 'absent' not found",
    );
    expect(r.err).toContain('1 problem(s); pass --allow-errors to print the compiled config anyway');
  });

  it('with --allow-errors prints the config, problems on stderr, and exits 0', async () => {
    const r = await run(['compile', '-f', DANGLING, '--allow-errors', '-o', 'json']);
    expect(r.code).toBe(0);
    const view = JSON.parse(r.out) as {
      resources: { kind: string }[];
      statuses: { conditions: { status: string }[] }[];
    };
    expect(view.resources.map((x) => x.kind)).toEqual(['Gateway', 'Registry', 'Consumer']);
    expect(view.statuses.flatMap((s) => s.conditions).filter((c) => c.status === 'False')).toHaveLength(1);
    expect(r.err).toContain('ResolvedRefs=False (RefNotFound)');
    expect(r.err).not.toContain('--allow-errors');
  });

  it("--allow-errors is compile's alone: validate refuses it as a usage error", async () => {
    const r = await run(['validate', '-f', DANGLING, '--allow-errors']);
    expect(r.code).toBe(2);
    expect(r.err).toContain("Unknown option '--allow-errors'");
  });
});

describe('usage errors exit 2 with one line and a pointer to the help', () => {
  it.each([
    [['frobnicate'], "tollgate: unknown command 'frobnicate'", "see 'tollgate --help'"],
    [
      ['validate'],
      'tollgate validate: at least one -f <file|dir> is required',
      "see 'tollgate validate --help'",
    ],
    [
      ['compile', '-f', QUICKSTART, '-o', 'xml'],
      'tollgate compile: --output must be yaml or json',
      "see 'tollgate compile --help'",
    ],
    [
      ['validate', '--bogus'],
      "tollgate validate: Unknown option '--bogus'",
      "see 'tollgate validate --help'",
    ],
    [
      ['run', '-f', QUICKSTART, '--port', 'x'],
      "tollgate run: --port must be a port number, got 'x'",
      "see 'tollgate run --help'",
    ],
    [
      ['run', '-f', QUICKSTART, 'extra'],
      "tollgate run: Unexpected argument 'extra'",
      "see 'tollgate run --help'",
    ],
    [
      ['controller', '--bogus'],
      "tollgate controller: Unknown option '--bogus'",
      "see 'tollgate controller --help'",
    ],
  ])('%j', async (argv, first, second) => {
    const r = await run(argv);
    expect(r.code).toBe(2);
    expect(r.err).toBe(`${first}\n${second}\n`);
    expect(r.out).toBe('');
  });

  it('a missing path is named in plain words', async () => {
    const r = await run(['validate', '-f', QUICKSTART, '-f', '/nonexistent/dir']);
    expect(r.code).toBe(1);
    expect(r.err).toBe(
      'tollgate: the manifests have 1 error(s):\n  /nonexistent/dir: no such file or directory\n',
    );
  });
});

describe('--help and --version', () => {
  it.each(['run', 'dataplane', 'controller', 'validate', 'compile'])(
    "%s --help and -h print that command's flags and exit 0",
    async (command) => {
      for (const flag of ['--help', '-h']) {
        const r = await run([command, flag]);
        expect(r).toMatchObject({ code: 0, err: '' });
        expect(r.out).toContain(`Usage: tollgate ${command}`);
        expect(r.out).toContain('-h, --help');
      }
      // wherever it stands, even next to flags that would fail
      expect((await run([command, '--bogus', '--help'])).code).toBe(0);
      expect((await run(['help', command])).out).toBe((await run([command, '--help'])).out);
    },
  );

  it('controller --help describes its flags', async () => {
    const r = await run(['controller', '--help']);
    expect(r.out).toMatch(
      /--lease-duration <s> +Lease duration in seconds \(env TOLLGATE_LEASE_DURATION, default 15\)/,
    );
    expect(r.out).toMatch(/--insecure +no TLS and no TokenReview/);
  });

  it('the overview lists the commands; without a command it is a usage error', async () => {
    const help = await run(['--help']);
    expect(help.code).toBe(0);
    for (const c of ['run', 'dataplane', 'controller', 'validate', 'compile'])
      expect(help.out).toContain(`tollgate ${c}`);
    const none = await run([]);
    expect(none.code).toBe(2);
    expect(none.err).toBe(help.out);
  });

  it('--version prints the package version', async () => {
    const { version } = JSON.parse(await readFile(path.resolve(__dirname, '../../package.json'), 'utf8')) as {
      version: string;
    };
    for (const argv of [['--version'], ['version']]) {
      expect(await run(argv)).toEqual({ code: 0, out: `tollgate ${version}\n`, err: '' });
    }
  });
});

describe('manifests of other APIs', () => {
  it('validate and compile skip them with a note on stderr', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'tollgate-cli-'));
    await cp(QUICKSTART, dir, { recursive: true });
    await writeFile(
      path.join(dir, 'app.yaml'),
      'apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata: {name: tollgate}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings}\n',
    );
    const notes = [
      `note: ${path.join(dir, 'app.yaml')} (document 1): skipped argoproj.io/v1alpha1 Application tollgate: not a Tollgate kind`,
      `note: ${path.join(dir, 'app.yaml')} (document 2): skipped v1 ConfigMap settings: not a Tollgate kind`,
    ];
    const validated = await run(['validate', '-f', dir]);
    expect(validated).toEqual({
      code: 0,
      out: 'ok: 3 objects valid, 3 resources compiled\n',
      err: `${notes.join('\n')}\n`,
    });
    await writeFile(
      path.join(dir, 'broken.yaml'),
      'apiVersion: tollgate.dev/v1alpha1\nkind: Gateway\nmetadata: {name: g}\n',
    );
    const failed = await run(['validate', '-f', dir]);
    expect(failed.code).toBe(1);
    expect(failed.err.startsWith(`${notes.join('\n')}\ntollgate: the manifests have 1 error`)).toBe(true);
    await rm(path.join(dir, 'broken.yaml'));
    const compiled = await run(['compile', '-f', dir, '-o', 'json']);
    expect(compiled.err).toBe(`${notes.join('\n')}\n`);
    expect((JSON.parse(compiled.out) as { resources: unknown[] }).resources).toHaveLength(3);
  });
});

describe('Secret values from the environment and files', () => {
  const manifests = (value: string) =>
    `apiVersion: v1\nkind: Secret\nmetadata: {name: upstream}\nstringData: {apiKey: "${value}"}\n---\napiVersion: tollgate.dev/v1alpha1\nkind: Registry\nmetadata: {name: openai}\nspec:\n  provider: openai\n  credentials: {secretRef: {name: upstream, key: apiKey}}\n`;

  it('a variable that is not set fails the load, naming the variable', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'tollgate-cli-'));
    await writeFile(path.join(dir, 'all.yaml'), manifests('${env:TOLLGATE_TEST_UNSET_KEY}'));
    delete process.env.TOLLGATE_TEST_UNSET_KEY;
    const r = await run(['validate', '-f', dir]);
    expect(r.code).toBe(1);
    expect(r.err).toContain(
      'Secret default/upstream stringData.apiKey: environment variable TOLLGATE_TEST_UNSET_KEY is not set',
    );
  });

  it('a set variable or a readable file loads, and compile never shows the value', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'tollgate-cli-'));
    await writeFile(path.join(dir, 'key.txt'), 'sk-from-a-file\n');
    process.env.TOLLGATE_TEST_SET_KEY = 'sk-from-the-environment';
    try {
      for (const value of ['${env:TOLLGATE_TEST_SET_KEY}', `\${file:${path.join(dir, 'key.txt')}}`]) {
        await writeFile(path.join(dir, 'all.yaml'), manifests(value));
        expect((await run(['validate', '-f', path.join(dir, 'all.yaml')])).code).toBe(0);
        const compiled = await run(['compile', '-f', path.join(dir, 'all.yaml')]);
        expect(compiled.code).toBe(0);
        expect(compiled.out).not.toMatch(/sk-from-(the-environment|a-file)/);
      }
    } finally {
      delete process.env.TOLLGATE_TEST_SET_KEY;
    }
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
