import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startMockAnthropicUpstream } from '@tollgate/dataplane/testing/mock-anthropic-upstream';
import { startMockGeminiUpstream } from '@tollgate/dataplane/testing/mock-gemini-upstream';
import { startMockOpenAIUpstream } from '@tollgate/dataplane/testing/mock-openai-upstream';
import { startTollgate, type RunningTollgate } from './process';
import { acmeGatewayYaml, consumerHeadYaml, secretYaml } from './manifests';

/**
 * What the hardening, fuzz and memory tests run against: Gateway `acme`, Consumer `app` (key
 * `HARDENING_KEY`) whose routes reach every endpoint natively and translated, each served by a real
 * mock upstream in its provider's wire format:
 *
 * | model | registry | native for | translated for |
 * |---|---|---|---|
 * | `*` (any other name) | openai-compatible mock | chat, embeddings | messages, responses |
 * | `gpt` | openai mock | chat, responses, embeddings | messages |
 * | `claude` | anthropic mock | messages | chat, responses |
 * | `gemini` | gemini mock | — | chat, messages, responses |
 * | `embed-mock` | the built-in `mock` provider | chat, embeddings | messages, responses |
 * | `fancy` | openai-compatible mock, upstream model `FANCY_UPSTREAM_MODEL` (not header-safe) | chat | |
 */
export const HARDENING_KEY = 'sk-hardening-app';
const UPSTREAM_KEY = 'sk-hardening-upstream';
/** A configured upstream model with characters a header cannot carry as they are. */
export const FANCY_UPSTREAM_MODEL = 'modèle-✓-名前';

export type Upstreams = {
  openai: Awaited<ReturnType<typeof startMockOpenAIUpstream>>;
  anthropic: Awaited<ReturnType<typeof startMockAnthropicUpstream>>;
  gemini: Awaited<ReturnType<typeof startMockGeminiUpstream>>;
};

export interface HardeningTarget {
  upstreams: Upstreams;
  /** A folder holding the manifests (for `tollgate run -f`). */
  dir: string;
  /** The manifests as one YAML text (for the in-process starter). */
  yaml: string;
  /** Forgets what the mocks recorded (long runs would keep every body). */
  forget(): void;
  close(): Promise<void>;
}

export async function startHardeningUpstreams(): Promise<HardeningTarget> {
  const upstreams: Upstreams = {
    openai: await startMockOpenAIUpstream({ apiKey: UPSTREAM_KEY }),
    anthropic: await startMockAnthropicUpstream({ apiKey: UPSTREAM_KEY }),
    gemini: await startMockGeminiUpstream({ mode: 'gemini', apiKey: UPSTREAM_KEY }),
  };
  const yaml = manifests(upstreams);
  const dir = await mkdtemp(path.join(os.tmpdir(), 'tollgate-hardening-'));
  await writeFile(path.join(dir, 'all.yaml'), yaml);
  return {
    upstreams,
    dir,
    yaml,
    forget() {
      for (const u of Object.values(upstreams)) u.requests.length = 0;
    },
    async close() {
      await Promise.all(Object.values(upstreams).map((u) => u.close()));
      await rm(dir, { recursive: true, force: true });
    },
  };
}

function manifests(u: Upstreams): string {
  const registry = (name: string, spec: string) => `
apiVersion: tollgate.dev/v1alpha1
kind: Registry
metadata: {name: ${name}}
spec:
  ${spec}
  credentials: {secretRef: {name: upstream, key: key}}
  timeouts: {connect: 1s, request: 5s, idle: 5s}
---`;
  return `
${secretYaml('upstream', `key: ${UPSTREAM_KEY}`)}---
${secretYaml('caller', `key: ${HARDENING_KEY}`)}---
${acmeGatewayYaml('{slug: acme, defaults: {requestTimeout: 10s, maxRequestBodyBytes: 1048576}}')}---
${registry('compat', `provider: openai-compatible\n  baseUrl: ${u.openai.url}`)}
${registry('openai', `provider: openai\n  baseUrl: ${u.openai.url}`)}
${registry('anthropic', `provider: anthropic\n  baseUrl: ${u.anthropic.url}/v1`)}
${registry('gemini', `provider: gemini\n  baseUrl: ${u.gemini.url}/v1beta`)}
apiVersion: tollgate.dev/v1alpha1
kind: Registry
metadata: {name: builtin}
spec: {provider: mock}
---
${consumerHeadYaml('caller', 'key')}  routes:
    - {model: gpt, targets: [{registryRef: {name: openai}, model: gpt-4o-mini}]}
    - {model: claude, targets: [{registryRef: {name: anthropic}, model: claude-sonnet-4-5}]}
    - {model: gemini, targets: [{registryRef: {name: gemini}, model: gemini-2.5-flash}]}
    - {model: embed-mock, targets: [{registryRef: {name: builtin}}]}
    - {model: fancy, targets: [{registryRef: {name: compat}, model: "${FANCY_UPSTREAM_MODEL}"}]}
    - {model: "*", targets: [{registryRef: {name: compat}}]}
`;
}

/** The request headers of consumer `app` on gateway `acme`. */
export const APP_HEADERS = {
  'content-type': 'application/json',
  'x-ag-gateway-slug': 'acme',
  authorization: `Bearer ${HARDENING_KEY}`,
};

/** The resident set size of process `pid`, in bytes (Linux). */
export async function rssBytes(pid: number): Promise<number> {
  return statusBytes(pid, 'VmRSS');
}

/** The most the resident set has been (VmHWM), in bytes. */
export async function peakRssBytes(pid: number): Promise<number> {
  return statusBytes(pid, 'VmHWM');
}

async function statusBytes(pid: number, field: 'VmRSS' | 'VmHWM'): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = new RegExp(`^${field}:\\s+(\\d+) kB$`, 'm').exec(status)?.[1];
  if (kb === undefined) throw new Error(`no ${field} for process ${pid}`);
  return Number(kb) * 1024;
}

/** Runs `fn` over `items`, at most `concurrency` at a time; the results in order. */
export async function inParallel<T, R>(
  items: readonly T[],
  concurrency: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i] as T, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  return out;
}

/**
 * `tollgate run` (the built CLI: `npm run build` first) on the hardening upstreams' manifests for
 * the whole test file: registers the beforeAll that starts both and the afterAll that stops them.
 * Read `run.target` and `run.tg` inside the tests.
 */
export function runOnHardeningUpstreams(): { target: HardeningTarget; tg: RunningTollgate } {
  const run = {} as { target: HardeningTarget; tg: RunningTollgate };
  beforeAll(async () => {
    run.target = await startHardeningUpstreams();
    run.tg = await startTollgate(['-f', run.target.dir, '--no-watch']);
  });
  afterAll(async () => {
    await run.tg?.stop();
    await run.target?.close();
  });
  return run;
}
