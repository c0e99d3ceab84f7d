import path from 'node:path';
import { eventually, ROOT, startTollgate, type RunningTollgate } from '../process';
import { startTestCluster, type TestCluster } from './apiserver';

/**
 * Manifests as a user writes them (plain unquoted YAML keys), applied with kubectl, which reads
 * YAML 1.1 (sigs.k8s.io/yaml) where standalone mode reads YAML 1.2: the retry settings reach the
 * proxy as written and decide what is retried, and `kubectl get` shows a Consumer whose reference
 * does not resolve as not Ready, whose requests are told which Registry is missing.
 */
let cluster: TestCluster;
let controller: RunningTollgate | undefined;
let proxy: RunningTollgate | undefined;
let ns = 'default';

const KEY = 'sk-kubectl-yaml';
const kubectl = (args: string[], input?: string) => cluster.kubectl(args, input);

/** Two consumers alike but for `retryOn`, each routing to an always-failing mock, then a good one. */
const consumer = (name: string, retryOn: string) => `apiVersion: tollgate.dev/v1alpha1
kind: Consumer
metadata:
  name: ${name}
spec:
  gatewayRef:
    name: demo
  slug: ${name}
  credentials:
    apiKeys:
      - secretRef:
          name: app-key
          key: key
  retry:
    attempts: 3
    backoff: 1ms
    retryOn: ${retryOn}
  routes:
    - model: chat
      targets:
        - registryRef:
            name: failing
        - registryRef:
            name: healthy
          priority: 1
`;

const MANIFESTS = `apiVersion: v1
kind: Secret
metadata:
  name: app-key
stringData:
  key: ${KEY}
---
apiVersion: tollgate.dev/v1alpha1
kind: Gateway
metadata:
  name: demo
spec:
  slug: demo
---
apiVersion: tollgate.dev/v1alpha1
kind: Registry
metadata:
  name: failing
spec:
  provider: mock
  mock:
    failureRate: 1
    failureStatus: 500
---
apiVersion: tollgate.dev/v1alpha1
kind: Registry
metadata:
  name: healthy
spec:
  provider: mock
---
${consumer('connect-only', '[ConnectError]')}---
${consumer('server-errors', '\n      - ServerError')}`;

const TYPO = `apiVersion: tollgate.dev/v1alpha1
kind: Consumer
metadata:
  name: typo
spec:
  gatewayRef:
    name: demo
  slug: typo
  credentials:
    apiKeys:
      - secretRef:
          name: app-key
          key: key
  routes:
    - model: chat
      targets:
        - registryRef:
            name: helthy
`;

async function chat(slug: string): Promise<{ status: number; registry: string | null; body: string }> {
  const r = await fetch(`http://127.0.0.1:${proxy?.port}/${slug}/v1/chat/completions`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-ag-gateway-slug': 'demo',
      authorization: `Bearer ${KEY}`,
    },
    body: JSON.stringify({ model: 'chat', messages: [{ role: 'user', content: 'hi' }] }),
  });
  return { status: r.status, registry: r.headers.get('x-selected-registry'), body: await r.text() };
}

type Consumer = { spec: { retry?: Record<string, unknown> } };
type Dump = { resources: { kind: string; name: string; body: { retry?: { retryOn?: string[] } } }[] };

beforeAll(async () => {
  cluster = await startTestCluster();
  ns = cluster.namespace;
  expect(kubectl(['apply', '-f', path.join(ROOT, 'crds')]).code).toBe(0);
  expect(kubectl(['wait', '--for=condition=Established', 'crd', '--all', '--timeout=60s']).code).toBe(0);
  const system = cluster.ns('tollgate-system');
  expect(kubectl(['create', 'namespace', system]).code).toBe(0);
  controller = await startTollgate(
    [
      '--kubeconfig',
      cluster.kubeconfig,
      '--namespace',
      system,
      '--namespaces',
      ns,
      '--host',
      '127.0.0.1',
      '--identity',
      'c1',
      '--insecure',
    ],
    { command: 'controller', timeoutMs: 60_000 },
  );
  proxy = await startTollgate(['--discovery', `127.0.0.1:${controller.port}`, '--node-id', 'proxy-0'], {
    command: 'dataplane',
  });
}, 20 * 60_000);

afterAll(async () => {
  await proxy?.stop('SIGKILL');
  await controller?.stop('SIGKILL');
  await cluster?.stop();
});

describe('manifests written by hand, applied with kubectl (YAML 1.1)', () => {
  it('the installed schema names the field retryOn, and kubectl stores it as written', () => {
    const explain = kubectl(['explain', 'consumer.spec.retry']);
    expect(explain.code).toBe(0);
    expect(explain.out).toMatch(/^\s+retryOn\s+<\[\]string>/m);
    expect(explain.out).not.toMatch(/^\s+true\s/m);

    const applied = kubectl(['apply', '--validate=strict', '-f', '-'], MANIFESTS);
    expect(applied.err).toBe('');
    expect(applied.code).toBe(0);
    const stored = JSON.parse(kubectl(['get', 'consumer', 'connect-only', '-o', 'json']).out) as Consumer;
    expect(stored.spec.retry).toEqual({ attempts: 3, backoff: '1ms', retryOn: ['ConnectError'] });

    // The old spelling is what YAML 1.1 makes of it, the key `true`: refused, never silently dropped.
    const old = consumer('old-spelling', '[ConnectError]').replace('retryOn:', 'on:');
    const refused = kubectl(['apply', '-f', '-'], old);
    expect(refused.code).not.toBe(0);
    expect(refused.err).toContain('unknown field "spec.retry.true"');
  });

  it('the proxy receives the retry settings as written', async () => {
    const retryOf = async (name: string) => {
      const dump = (await (await fetch(`http://127.0.0.1:${proxy?.opsPort}/config_dump`)).json()) as Dump;
      return dump.resources.find((r) => r.kind === 'Consumer' && r.name === `${ns}/${name}`)?.body.retry
        ?.retryOn;
    };
    await eventually(async () => (await retryOf('server-errors')) !== undefined, 20_000);
    expect(await retryOf('connect-only')).toEqual(['ConnectError']);
    expect(await retryOf('server-errors')).toEqual(['ServerError']);
  }, 30_000);

  it('retryOn: [ConnectError] → a 500 is relayed, not retried; [ServerError] → it falls over', async () => {
    const strict = await chat('connect-only');
    expect(strict.status).toBe(500);
    expect(strict.registry).toBe(`${ns}/failing`);
    const lenient = await chat('server-errors');
    expect(lenient.status).toBe(200);
    expect(lenient.registry).toBe(`${ns}/healthy`);
  });

  it('kubectl get shows Ready; a dangling registryRef is Ready=False RefNotFound, and its requests name it', async () => {
    expect(kubectl(['apply', '-f', '-'], TYPO).code).toBe(0);
    const row = (name: string) =>
      kubectl(['get', 'tollgate'])
        .out.split('\n')
        .find((l) => l.startsWith(`consumer.tollgate.dev/${name} `));
    await eventually(() => /\sFalse\s+RefNotFound\s/.test(row('typo') ?? ''), 30_000);
    await eventually(() => /\sTrue\s+Ready\s/.test(row('connect-only') ?? ''), 30_000);
    const header = kubectl(['get', 'consumers']).out.split('\n')[0] ?? '';
    expect(header.split(/\s{2,}/)).toEqual(['NAME', 'GATEWAY', 'SLUG', 'READY', 'REASON', 'AGE']);
    const wide = kubectl(['get', 'consumer', 'typo', '-o', 'wide']).out.split('\n');
    expect(wide[0]?.split(/\s{2,}/)).toEqual([
      'NAME',
      'GATEWAY',
      'SLUG',
      'READY',
      'REASON',
      'ACCEPTED',
      'RESOLVEDREFS',
      'PROGRAMMED',
      'AGE',
    ]);
    expect(wide[1]).toMatch(/^typo\s+demo\s+typo\s+False\s+RefNotFound\s+True\s+False\s+True\s/);

    await eventually(async () => (await chat('typo')).status === 503, 20_000);
    const r = await chat('typo');
    const error = (JSON.parse(r.body) as { error: { code: string; message: string } }).error;
    expect(error.code).toBe('no_upstream_available');
    expect(error.message).toContain(
      `model 'chat' of consumer 'typo' routes to Registry '${ns}/helthy' which does not exist (ResolvedRefs=False)`,
    );
  }, 60_000);
});
