import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { parseAllDocuments, stringify } from 'yaml';

/** Helpers of the e2e/helm tests: the helm CLI (built by e2e/k8s/build-helm.sh) and the rendered chart. */
export const ROOT = path.resolve(__dirname, '../..');
export const CHART = path.join(ROOT, 'charts/tollgate');
export const ALL_ON_VALUES = path.join(CHART, 'ci/all-on-values.yaml');

export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  [field: string]: unknown;
}

export interface Result {
  code: number | null;
  out: string;
  err: string;
}

let helmPath: string | undefined;

/** The helm binary, built from the Go module proxy on first use (minutes), cached in .cache/bin/. */
export function helmBinary(): string {
  if (helmPath) return helmPath;
  const fromEnv = process.env.TOLLGATE_HELM;
  if (fromEnv) return (helmPath = fromEnv);
  const built = spawnSync('bash', [path.join(ROOT, 'e2e/k8s/build-helm.sh')], {
    encoding: 'utf8',
    cwd: ROOT,
  });
  if (built.status !== 0) throw new Error(`building helm failed:\n${built.stderr}`);
  helmPath = built.stdout.trim().split('\n').pop() ?? '';
  return helmPath;
}

/**
 * Runs helm. Its notice that the chart's crds/ is a symbolic link (to the repository's crds/, on
 * purpose) is dropped from stderr so that tests can insist on an otherwise empty stderr.
 */
export function helm(args: string[], options: { input?: string; env?: NodeJS.ProcessEnv } = {}): Result {
  const r = spawnSync(helmBinary(), args, {
    encoding: 'utf8',
    cwd: ROOT,
    input: options.input,
    env: { ...process.env, ...options.env },
    maxBuffer: 64 * 1024 * 1024,
  });
  const err = r.stderr
    .split('\n')
    .filter((line) => !/found symbolic link in path: .*\/crds resolves to/.test(line))
    .join('\n');
  return { code: r.status, out: r.stdout, err: err.trim() };
}

export interface RenderOptions {
  release?: string;
  namespace?: string;
  valuesFiles?: string[];
  set?: string[];
  includeCrds?: boolean;
}

export function templateArgs(o: RenderOptions = {}): string[] {
  return [
    'template',
    o.release ?? 'tollgate',
    CHART,
    '--namespace',
    o.namespace ?? 'tollgate-system',
    ...(o.valuesFiles ?? []).flatMap((f) => ['--values', f]),
    ...(o.set ?? []).flatMap((s) => ['--set', s]),
    ...(o.includeCrds ? ['--include-crds'] : []),
  ];
}

/** `helm template` as YAML text; throws with helm's message when rendering fails. */
export function renderText(o: RenderOptions = {}): string {
  const r = helm(templateArgs(o));
  if (r.code !== 0) throw new Error(`helm template failed: ${r.err}`);
  return r.out;
}

export function parseObjects(text: string): K8sObject[] {
  return parseAllDocuments(text)
    .map((d) => {
      if (d.errors.length > 0) throw new Error(`rendered YAML does not parse: ${d.errors[0]?.message}`);
      return d.toJS() as K8sObject | null;
    })
    .filter((o): o is K8sObject => o !== null);
}

export function render(o: RenderOptions = {}): K8sObject[] {
  return parseObjects(renderText(o));
}

export function find(objects: K8sObject[], kind: string, name?: string): K8sObject {
  const found = objects.filter((o) => o.kind === kind && (name === undefined || o.metadata.name === name));
  if (found.length !== 1) throw new Error(`expected one ${kind} ${name ?? ''}, found ${found.length}`);
  return found[0] as K8sObject;
}

export function toYamlStream(objects: K8sObject[]): string {
  return objects.map((o) => stringify(o)).join('---\n');
}
