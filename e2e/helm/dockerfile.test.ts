import { spawn, spawnSync } from 'node:child_process';
import {
  copyFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  statSync,
} from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../k8s/apiserver';
import { find, render, ROOT, type K8sObject } from './chart';

/**
 * The images, without a Docker engine: each Dockerfile is parsed and checked (multi-stage, non-root,
 * no dev dependencies at run time, an entrypoint that the build produces), and the runtime stage's
 * file set is reproduced on disk by following the Dockerfile's own COPY and RUN instructions (the
 * build context filtered by .dockerignore), then run from that folder alone.
 */

interface Instruction {
  op: string;
  args: string;
}
interface Stage {
  base: string;
  name: string | undefined;
  instructions: Instruction[];
}

function parseDockerfile(text: string): { args: Record<string, string>; stages: Stage[] } {
  const lines: string[] = [];
  let pending = '';
  for (const raw of text.split('\n')) {
    if (/^\s*#/.test(raw)) continue; // comments (and the syntax directive), also inside a continued instruction
    const line = raw.replace(/\s+$/, '');
    if (line.endsWith('\\')) {
      pending += line.slice(0, -1) + ' ';
      continue;
    }
    if ((pending + line).trim()) lines.push((pending + line).trim());
    pending = '';
  }
  const args: Record<string, string> = {};
  const stages: Stage[] = [];
  for (const line of lines) {
    const match = /^(\S+)\s+(.*)$/.exec(line);
    if (!match) throw new Error(`cannot parse Dockerfile line: ${line}`);
    const op = (match[1] as string).toUpperCase();
    const rest = (match[2] as string).replace(/\s+/g, ' ');
    if (op === 'FROM') {
      const [image, as, name] = rest.split(' ');
      const base = (image ?? '').replace(/\$\{(\w+)\}/g, (_m, v: string) => args[v] ?? '');
      stages.push({ base, name: as?.toUpperCase() === 'AS' ? name : undefined, instructions: [] });
    } else if (op === 'ARG' && stages.length === 0) {
      const [k, v] = rest.split('=');
      args[k as string] = v ?? '';
    } else {
      const stage = stages[stages.length - 1];
      if (!stage) throw new Error(`${op} before FROM`);
      stage.instructions.push({ op, args: rest });
    }
  }
  return { args, stages };
}

/** COPY [--from=stage] [--chown=..] <src>... <dest> */
function copyOf(i: Instruction): { from: string | undefined; sources: string[]; dest: string } {
  const words = i.args.split(' ');
  const paths = words.filter((w) => !w.startsWith('--'));
  const from = words.find((f) => f.startsWith('--from='))?.slice('--from='.length);
  const dest = paths[paths.length - 1] as string;
  const sources = paths.slice(0, -1);
  expect(sources.length).toBeGreaterThan(0);
  if (sources.length > 1) expect(dest).toMatch(/\/$/); // Docker requires a folder then
  return { from, sources, dest };
}

/** .dockerignore as Docker reads it: root-relative patterns, `**` across folders, a match excludes the subtree. */
function dockerignore(): (relative: string) => boolean {
  const patterns = readFileSync(path.join(ROOT, '.dockerignore'), 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  expect(patterns.some((p) => p.startsWith('!'))).toBe(false);
  const regexes = patterns.map((p) => {
    const body = p
      .replace(/^\/+/, '')
      .replace(/[.+^${}()|[\]]/g, '\\$&')
      .replace(/\*\*\//g, '<ANYDIRS>')
      .replace(/\*\*/g, '<ANY>')
      .replace(/\*/g, '[^/]*')
      .replace(/\?/g, '[^/]')
      .replace(/<ANYDIRS>/g, '(.*/)?')
      .replace(/<ANY>/g, '.*');
    return new RegExp(`^${body}$`);
  });
  return (relative) => {
    const parts = relative.split('/');
    return parts.some((_p, i) => regexes.some((r) => r.test(parts.slice(0, i + 1).join('/'))));
  };
}

const read = (name: string) => parseDockerfile(readFileSync(path.join(ROOT, name), 'utf8'));
const runtimeOf = (df: { stages: Stage[] }) => df.stages[df.stages.length - 1] as Stage;
const jsonArgs = (stage: Stage, op: string) => {
  const found = stage.instructions.filter((i) => i.op === op);
  expect(found).toHaveLength(1);
  return JSON.parse((found[0] as Instruction).args) as string[];
};

interface Deployment extends K8sObject {
  spec: {
    template: {
      spec: {
        securityContext: { runAsUser: number };
        containers: { args: string[]; ports: { containerPort: number }[] }[];
      };
    };
  };
}

describe.each([
  ['Dockerfile.controller', 'controller'],
  ['Dockerfile.dataplane', 'dataplane'],
])('%s', (file, component) => {
  const df = read(file);
  const runtime = runtimeOf(df);
  const rendered = find(render(), 'Deployment', `tollgate-${component}`) as Deployment;

  it('is multi-stage on a slim Node 20 base, and never uses npm ci', () => {
    expect(df.stages.length).toBeGreaterThanOrEqual(2);
    for (const s of df.stages) expect(s.base).toMatch(/^node:20(\.[\d.]+)?-([a-z]+-)?slim$/);
    expect(runtime.name).toBe('runtime');
    const runs = df.stages.flatMap((st) => st.instructions.filter((i) => i.op === 'RUN').map((i) => i.args));
    expect(runs.join('\n')).toContain('npm install');
    expect(runs.join('\n')).not.toMatch(/npm ci\b/);
  });

  it('runs as a numeric non-root user, the one the chart sets', () => {
    const users = runtime.instructions.filter((i) => i.op === 'USER');
    const user = users[users.length - 1]?.args ?? '';
    const uid = Number(user.split(':')[0]);
    expect(Number.isInteger(uid) && uid > 0).toBe(true);
    expect(rendered.spec.template.spec.securityContext.runAsUser).toBe(uid);
  });

  it('installs no dev dependencies at run time: node_modules come pruned from the build stage', () => {
    for (const i of runtime.instructions.filter((x) => x.op === 'RUN'))
      if (/npm (install|i)\b/.test(i.args)) expect(i.args).toContain('--omit=dev');
    const modules = runtime.instructions
      .filter((i) => i.op === 'COPY')
      .map(copyOf)
      .filter((c) => c.sources.some((src) => /node_modules\/?$/.test(src)));
    expect(modules).toHaveLength(1);
    const from = df.stages.find((s) => s.name === modules[0]?.from);
    if (!from) throw new Error(`node_modules come from no named stage`);
    const runs = from.instructions.filter((i) => i.op === 'RUN').map((i) => i.args);
    const build = runs.findIndex((r) => r.includes('npm run build'));
    const prune = runs.findIndex((r) => /npm prune .*--omit=dev/.test(r));
    expect(build).toBeGreaterThanOrEqual(0);
    expect(prune).toBeGreaterThanOrEqual(build);
    // nothing installs anything after the prune
    expect(runs.slice(prune + 1).filter((r) => /npm (install|i)\b/.test(r))).toEqual([]);
    expect(runs[prune]?.lastIndexOf('npm prune')).toBeGreaterThan(
      runs[prune]?.lastIndexOf('npm install') ?? -1,
    );
  });

  it(`starts the tollgate CLI with "${component}", as the chart runs it, and exposes the chart's ports`, () => {
    expect(jsonArgs(runtime, 'ENTRYPOINT')).toEqual(['node', '/app/dist/cli/src/tollgate.js']);
    expect(jsonArgs(runtime, 'CMD')).toEqual([component]);
    const container = rendered.spec.template.spec.containers[0];
    expect(container?.args).toEqual([component]);
    const exposed = runtime.instructions
      .filter((i) => i.op === 'EXPOSE')
      .flatMap((i) => i.args.split(' ').map(Number))
      .sort();
    expect(exposed).toEqual((container?.ports ?? []).map((p) => p.containerPort).sort());
  });
});

describe('the two images', () => {
  it('hold the same build and the same files, differing only in command and ports', () => {
    const [c, d] = [read('Dockerfile.controller'), read('Dockerfile.dataplane')];
    expect(d.stages.slice(0, -1)).toEqual(c.stages.slice(0, -1));
    const files = (s: Stage) => s.instructions.filter((i) => !['CMD', 'EXPOSE'].includes(i.op));
    expect(files(runtimeOf(d))).toEqual(files(runtimeOf(c)));
  });
});

describe("the runtime stage's file set, reproduced from Dockerfile.controller", () => {
  let tmp: string;
  let app: string;
  let entrypoint: string[];
  const env: Record<string, string> = {};

  const hiddenLock = () => readFileSync(path.join(ROOT, 'node_modules/.package-lock.json'), 'utf8');
  let hiddenLockBefore: string;

  beforeAll(async () => {
    hiddenLockBefore = hiddenLock();
    tmp = await mkdtemp(path.join(os.tmpdir(), 'tollgate-image-'));
    const df = read('Dockerfile.controller');
    const ignored = dockerignore();
    const stageDirs = new Map<string, { dir: string; workdir: string }>();

    /** Copies from the build context as the daemon would receive it (.dockerignore applied). */
    const copyContext = (src: string, dest: string) => {
      cpSync(path.join(ROOT, src), dest, {
        recursive: true,
        filter: (from) => {
          const rel = path.relative(ROOT, from);
          return rel === '' || !ignored(rel);
        },
      });
    };
    for (const [index, stage] of df.stages.entries()) {
      const dir = path.join(tmp, `stage-${index}`);
      mkdirSync(dir);
      let workdir = '/';
      const local = (p: string) => path.join(dir, path.posix.resolve(workdir, p));
      for (const i of stage.instructions) {
        if (i.op === 'WORKDIR') {
          workdir = path.posix.resolve(workdir, i.args);
          mkdirSync(local('.'), { recursive: true });
        } else if (i.op === 'ENV') {
          for (const m of i.args.matchAll(/(\w+)=(\S+)/g)) env[m[1] as string] = m[2] as string;
        } else if (i.op === 'COPY') {
          const c = copyOf(i);
          for (const src of c.sources) {
            // a folder's contents go to dest; a file goes to dest, or into it when dest ends in /
            const dest = c.dest.endsWith('/') ? path.join(local(c.dest), path.basename(src)) : local(c.dest);
            mkdirSync(path.dirname(dest), { recursive: true });
            if (c.from) {
              const source = stageDirs.get(c.from);
              if (!source) throw new Error(`COPY --from=${c.from}: no such stage`);
              // hard links: nothing writes to an earlier stage's files once it is done
              const linked = spawnSync('cp', ['-al', path.join(source.dir, src), dest], { encoding: 'utf8' });
              if (linked.status !== 0) throw new Error(`cp -al failed: ${linked.stderr}`);
            } else copyContext(src, dest);
          }
        } else if (i.op === 'RUN') {
          if (/^npm install( --no-audit| --no-fund)*$/.test(i.args)) {
            // The download from the registry is replaced by this checkout's install of the same lock
            // file, hard-linked (a real copy takes long on this disk). npm prune only unlinks files,
            // except its hidden lock file, which it rewrites in place: that one is a real copy.
            const linked = spawnSync('cp', ['-al', path.join(ROOT, 'node_modules'), local('node_modules')], {
              encoding: 'utf8',
            });
            if (linked.status !== 0) throw new Error(`linking node_modules failed: ${linked.stderr}`);
            const hidden = local('node_modules/.package-lock.json');
            if (existsSync(hidden)) {
              rmSync(hidden);
              copyFileSync(path.join(ROOT, 'node_modules/.package-lock.json'), hidden);
            }
          } else {
            const r = spawnSync('sh', ['-c', i.args], {
              cwd: local('.'),
              encoding: 'utf8',
              env: { ...process.env, npm_config_offline: 'true', npm_config_update_notifier: 'false' },
            });
            if (r.status !== 0) throw new Error(`RUN ${i.args} failed:\n${r.stdout}\n${r.stderr}`);
          }
        }
      }
      stageDirs.set(stage.name ?? String(index), { dir, workdir });
      if (index === df.stages.length - 1) {
        app = local('.');
        entrypoint = jsonArgs(stage, 'ENTRYPOINT').map((a) => (a.startsWith('/') ? path.join(dir, a) : a));
      }
    }
  }, 120_000);

  afterAll(async () => {
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  it('has the production dependencies and none of the dev dependencies', () => {
    // npm's lock marks every package only the dev dependencies need with dev: true
    const lock = JSON.parse(readFileSync(path.join(ROOT, 'package-lock.json'), 'utf8')) as {
      packages: Record<string, { dev?: boolean; optional?: boolean; devOptional?: boolean }>;
    };
    const entries = Object.entries(lock.packages).filter(([p]) => p.startsWith('node_modules/'));
    const dev = entries.filter(([, e]) => e.dev || e.devOptional).map(([p]) => p);
    const prod = entries.filter(([, e]) => !e.dev && !e.devOptional && !e.optional).map(([p]) => p);
    expect(dev).toContain('node_modules/typescript');
    expect(dev.filter((p) => existsSync(path.join(app, p)))).toEqual([]);
    expect(prod.length).toBeGreaterThan(50);
    expect(prod.filter((p) => !existsSync(path.join(app, p)))).toEqual([]);
    expect(existsSync(path.join(app, 'node_modules/.bin/tsc'))).toBe(false);
    // and the checkout's own node_modules, hard-linked into the build stage, are untouched
    expect(existsSync(path.join(ROOT, 'node_modules/typescript/package.json'))).toBe(true);
    expect(hiddenLock()).toBe(hiddenLockBefore);
  });

  it('holds compiled code and the files it reads at run time, and no sources or tests', () => {
    expect(existsSync(entrypoint[1] ?? '')).toBe(true);
    const packages = ['controller', 'dataplane', 'protocol'];
    expect(readdirSync(app).sort()).toEqual(
      ['crds', 'dist', 'node_modules', 'package.json', ...packages].sort(),
    );
    expect(readdirSync(path.join(app, 'dist'))).toEqual(['cli']);
    // the workspace packages: node_modules/@tollgate/* link to their manifest and build
    for (const p of packages) {
      expect(realpathSync(path.join(app, 'node_modules/@tollgate', p))).toBe(realpathSync(path.join(app, p)));
      expect(readdirSync(path.join(app, p)).sort()).toEqual(
        ['dist', 'package.json', ...(p === 'protocol' ? ['proto', 'schema'] : [])].sort(),
      );
    }
    expect(readdirSync(path.join(app, 'crds')).sort()).toEqual(
      readdirSync(path.join(ROOT, 'crds'))
        .filter((f) => f.endsWith('.yaml'))
        .sort(),
    );
    const walk = (d: string): string[] =>
      readdirSync(d).flatMap((f) => {
        const p = path.join(d, f);
        return statSync(p).isDirectory() ? walk(p) : [p];
      });
    const code = ['dist', ...packages.map((p) => `${p}/dist`)].flatMap((d) => walk(path.join(app, d)));
    expect(code.filter((f) => f.endsWith('.ts') || f.endsWith('.tsbuildinfo'))).toEqual([]);
    expect(code.filter((f) => /\.test\.js$|testdata/.test(f))).toEqual([]);
  });

  it('validates the quickstart from that folder alone, without dev dependencies', async () => {
    const examples = path.join(tmp, 'quickstart');
    cpSync(path.join(ROOT, 'examples/quickstart'), examples, { recursive: true });
    const r = spawnSync(entrypoint[0] ?? 'node', [...entrypoint.slice(1), 'validate', '-f', examples], {
      cwd: app,
      encoding: 'utf8',
      env: { PATH: process.env.PATH, ...env },
    });
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('ok: 3 objects valid, 3 resources compiled\n');
    expect(r.status).toBe(0);
  });

  it('serves the quickstart from that folder alone, and stops cleanly on SIGTERM', async () => {
    const [port, opsPort] = [await freePort(), await freePort()];
    const child = spawn(
      entrypoint[0] ?? 'node',
      [...entrypoint.slice(1), 'run', '-f', path.join(ROOT, 'examples/quickstart'), '--no-watch'],
      {
        cwd: app,
        env: {
          PATH: process.env.PATH,
          ...env,
          TOLLGATE_HOST: '127.0.0.1', // the image listens on 0.0.0.0; the test stays on loopback
          TOLLGATE_PORT: String(port),
          TOLLGATE_OPS_PORT: String(opsPort),
          TOLLGATE_LOG_LEVEL: 'warn',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      const deadline = Date.now() + 20_000;
      for (;;) {
        const ready = await fetch(`http://127.0.0.1:${opsPort}/readyz`).then(
          (res) => res.status === 200,
          () => false,
        );
        if (ready) break;
        if (Date.now() > deadline || child.exitCode !== null) throw new Error(`not ready: ${stderr}`);
        await new Promise((r) => setTimeout(r, 100));
      }
      const res = await fetch(`http://127.0.0.1:${port}/my-app/v1/chat/completions`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-ag-gateway-slug': 'demo',
          authorization: 'Bearer sk-tollgate-demo-key',
        },
        body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Hello there' }] }),
      });
      expect(res.status).toBe(200);
      const body = (await res.json()) as { choices: { message: { content: string } }[] };
      expect(body.choices[0]?.message.content.length).toBeGreaterThan(0);
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
    expect(stderr).toBe('');
  });
});
