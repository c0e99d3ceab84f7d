import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';
import { compileValidators, loadCrds } from '@tollgate/controller/manifests/crd-schemas';
import { CHART, ROOT, find, helm, parseObjects, templateArgs, type K8sObject } from './chart';

/**
 * The Argo CD example: the Application installs the chart, and the health check — one Lua script,
 * embedded in argocd-cm once per kind — is run by real Lua interpreters against sample objects.
 * Lua 5.1 is the dialect of Argo CD's gopher-lua; 5.4 guards against relying on 5.1-only behaviour.
 */
const DIR = path.join(ROOT, 'examples/argocd');
const SCRIPT = path.join(DIR, 'health.lua');
const INTERPRETERS = ['lua5.1', 'lua5.4'];

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'tollgate-argocd-'));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

/** A JSON value as a Lua table constructor (Argo CD hands the script the object as such a table). */
function toLua(value: unknown): string {
  if (value === null || value === undefined) return 'nil';
  if (typeof value === 'boolean' || typeof value === 'number') return String(value);
  if (typeof value === 'string') {
    const bytes = Buffer.from(value, 'utf8');
    let out = '"';
    for (const b of bytes)
      out += b >= 0x20 && b < 0x7f && b !== 0x22 && b !== 0x5c ? String.fromCharCode(b) : `\\${b}`;
    return out + '"';
  }
  if (Array.isArray(value)) return `{${value.map(toLua).join(', ')}}`;
  return `{${Object.entries(value as Record<string, unknown>)
    .map(([k, v]) => `[${toLua(k)}] = ${toLua(v)}`)
    .join(', ')}}`;
}

interface Health {
  status: string;
  message: string;
}

/**
 * Runs the script as Argo CD does: a chunk with a global `obj`, whose return value is the health.
 * The libraries Argo CD does not offer to health checks (io, os, require, loading files) are removed
 * before it runs.
 */
async function health(lua: string, obj: unknown, script = SCRIPT): Promise<Health> {
  const runner = path.join(tmp, `run-${Math.random().toString(36).slice(2)}.lua`);
  await writeFile(
    runner,
    [
      `local check = assert(loadfile(${toLua(script)}))`,
      'local write = io.write',
      `obj = ${toLua(obj)}`,
      'io, os, require, dofile, loadfile, load, loadstring, package = nil, nil, nil, nil, nil, nil, nil, nil',
      'local hs = check()',
      'assert(type(hs) == "table", "the script must return a table")',
      'for k in pairs(hs) do assert(k == "status" or k == "message", "unexpected key " .. tostring(k)) end',
      'write(tostring(hs.status), "\\n", tostring(hs.message))',
      '',
    ].join('\n'),
  );
  const r = spawnSync(lua, [runner], { encoding: 'utf8' });
  if (r.error) throw new Error(`${lua} is not installed (.ci/run installs it): ${r.error.message}`);
  if (r.status !== 0) throw new Error(`${lua} failed: ${r.stderr}`);
  const [status, ...message] = r.stdout.split('\n');
  return { status: status ?? '', message: message.join('\n') };
}

const KINDS = loadCrdKinds();
function loadCrdKinds(): { group: string; kind: string }[] {
  return readdirSync(path.join(ROOT, 'crds'))
    .filter((f) => f.endsWith('.yaml'))
    .map(
      (f) =>
        parse(readFileSync(path.join(ROOT, 'crds', f), 'utf8')) as {
          spec: { group: string; names: { kind: string } };
        },
    )
    .map((crd) => ({ group: crd.spec.group, kind: crd.spec.names.kind }))
    .sort((a, b) => a.kind.localeCompare(b.kind));
}

describe('argocd-cm.yaml', () => {
  const cm = parse(readFileSync(path.join(DIR, 'argocd-cm.yaml'), 'utf8')) as K8sObject & {
    data: Record<string, string>;
  };

  it('embeds health.lua, unchanged, for every Tollgate kind and nothing else', () => {
    expect(cm).toMatchObject({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'argocd-cm', namespace: 'argocd' },
    });
    expect(KINDS.map((k) => k.kind)).toEqual(['Consumer', 'Gateway', 'Policy', 'Registry']);
    const lua = readFileSync(SCRIPT, 'utf8');
    expect(Object.keys(cm.data).sort()).toEqual(
      KINDS.map((k) => `resource.customizations.health.${k.group}_${k.kind}`),
    );
    for (const [key, embedded] of Object.entries(cm.data)) expect([key, embedded]).toEqual([key, lua]);
  });

  it('is exactly what generate-argocd-cm.sh prints from health.lua', () => {
    const r = spawnSync('bash', [path.join(DIR, 'generate-argocd-cm.sh')], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(readFileSync(path.join(DIR, 'argocd-cm.yaml'), 'utf8'));
  });
});

describe('health.lua', () => {
  const validators = compileValidators(loadCrds(path.join(ROOT, 'crds')));
  const fixtures = path.join(DIR, 'testdata');
  const cases: [string, string, string][] = [
    ['gateway-no-status.yaml', 'Progressing', 'Waiting for the Tollgate controller to report status'],
    ['registry-healthy.yaml', 'Healthy', 'Acknowledged by 4 proxies of fleet default'],
    ['consumer-ref-not-found.yaml', 'Degraded', 'Registry default/missing not found'],
    ['policy-not-accepted.yaml', 'Degraded', 'plugin budget is not supported yet'],
    ['registry-accepted-and-refs-false.yaml', 'Degraded', 'spec.baseUrl: must be an https URL'],
    [
      'gateway-generation-behind.yaml',
      'Progressing',
      'Waiting for the Tollgate controller to process generation 2',
    ],
    [
      'consumer-stale-failure.yaml',
      'Progressing',
      'Waiting for the Tollgate controller to process generation 2',
    ],
    [
      'registry-not-programmed.yaml',
      'Progressing',
      'Waiting for the proxies of fleet default to acknowledge version 9f3c',
    ],
    [
      'policy-programmed-missing.yaml',
      'Progressing',
      'Waiting for the Tollgate controller to set Programmed',
    ],
    ['gateway-programmed-stale.yaml', 'Progressing', 'Waiting for Programmed of generation 5'],
  ];

  it('has a case for every fixture, and fixtures of every kind', () => {
    expect(readdirSync(fixtures).sort()).toEqual(cases.map((c) => c[0]).sort());
    const kinds = new Set(
      cases.map(([file]) => (parse(readFileSync(path.join(fixtures, file), 'utf8')) as K8sObject).kind),
    );
    expect([...kinds].sort()).toEqual(KINDS.map((k) => k.kind));
  });

  describe.each(INTERPRETERS)('run by %s', (lua) => {
    it.each(cases)('%s is %s: %s', async (file, status, message) => {
      const obj = parse(readFileSync(path.join(fixtures, file), 'utf8')) as K8sObject;
      // the fixture is an object the API server would store: valid against its CRD, status included
      const validate = validators.get(obj.kind as Parameters<typeof validators.get>[0]);
      if (!validate) throw new Error(`no CRD for ${obj.kind}`);
      expect([validate(structuredClone(obj)), validate.errors ?? []]).toEqual([true, []]);
      expect(await health(lua, obj)).toEqual({ status, message });
    });

    it('never fails on a condition without a message, and names the reason instead', async () => {
      const obj = parse(
        readFileSync(path.join(fixtures, 'consumer-ref-not-found.yaml'), 'utf8'),
      ) as K8sObject & {
        status: { conditions: { type: string; message?: string }[] };
      };
      for (const c of obj.status.conditions) delete c.message;
      expect(await health(lua, obj)).toEqual({
        status: 'Degraded',
        message: 'ResolvedRefs is False: RefNotFound',
      });
    });
  });

  it('is a plain health check: no loops Argo CD would have to time out, no globals written', () => {
    const lua = readFileSync(SCRIPT, 'utf8');
    expect(lua).not.toMatch(/\bwhile\b|\brepeat\b|\bgoto\b/);
    // every assignment at the top level is to a local or to the returned table: a check keeps no state
    const globals = lua
      .split('\n')
      .filter((l) => /^[A-Za-z_][\w.]*\s*=/.test(l))
      .filter((l) => !/^hs\./.test(l));
    expect(globals).toEqual([]);
  });
});

describe('application.yaml', () => {
  const app = parse(readFileSync(path.join(DIR, 'application.yaml'), 'utf8')) as K8sObject & {
    spec: {
      source: {
        repoURL: string;
        path: string;
        targetRevision: string;
        helm: { releaseName: string; valuesObject: unknown };
      };
      destination: { namespace: string; server: string };
      syncPolicy: { automated: { prune: boolean; selfHeal: boolean }; syncOptions: string[] };
    };
  };

  it('is an Argo CD Application of this chart, synced automatically and server-side', () => {
    expect(app.apiVersion).toBe('argoproj.io/v1alpha1');
    expect(app.kind).toBe('Application');
    expect(existsSync(path.join(ROOT, app.spec.source.path, 'Chart.yaml'))).toBe(true);
    expect(path.join(ROOT, app.spec.source.path)).toBe(CHART);
    expect(app.spec.source.repoURL).toMatch(/^https:\/\/.+\.git$/);
    expect(app.spec.syncPolicy.automated).toEqual({ prune: true, selfHeal: true });
    expect(app.spec.syncPolicy.syncOptions).toContain('ServerSideApply=true');
    expect(app.spec.syncPolicy.syncOptions).toContain('CreateNamespace=true');
  });

  it('has values the chart accepts, and renders as Argo CD would render it (CRDs included)', async () => {
    const values = path.join(tmp, 'app-values.json');
    await writeFile(values, JSON.stringify(app.spec.source.helm.valuesObject));
    const lint = helm(['lint', '--strict', CHART, '--values', values]);
    expect(lint.code).toBe(0);
    const r = helm(
      templateArgs({
        release: app.spec.source.helm.releaseName,
        namespace: app.spec.destination.namespace,
        valuesFiles: [values],
        includeCrds: true,
      }),
    );
    expect(r.err).toBe('');
    const objects = parseObjects(r.out);
    expect(objects.filter((o) => o.kind === 'CustomResourceDefinition')).toHaveLength(KINDS.length);
    expect(find(objects, 'HorizontalPodAutoscaler', 'tollgate-dataplane').metadata.namespace).toBe(
      'tollgate-system',
    );
    expect(objects.filter((o) => o.kind === 'ServiceMonitor')).toEqual([]);
  });
});
