import { cp, mkdir, mkdtemp, readdir, readFile, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import OpenAI from 'openai';
import { eventually, startTollgate, type RunningTollgate } from '../process';
import { startTestAgent } from '@tollgate/dataplane/testing/a2a-agent';
import { startTestCluster, type TestCluster } from './apiserver';

/**
 * The whole control plane against a real kube-apiserver: `tollgate controller` (informers, TLS,
 * TokenReview, status, Lease) streaming to two `tollgate dataplane` processes, driven by kubectl.
 */
const ROOT = path.resolve(__dirname, '../..');
/** The controller's own namespace (Leases, TLS Secret, CA ConfigMap); objects go in `cluster.namespace`. */
let NS = 'tollgate-system';
let cluster: TestCluster;
let dir: string;
let controller: RunningTollgate;
const proxies: RunningTollgate[] = [];
const started: RunningTollgate[] = [];

const kubectl = (args: string[], input?: string) => cluster.kubectl(args, input);

function json<T = Record<string, unknown>>(args: string[]): T {
  const r = kubectl([...args, '-o', 'json']);
  if (r.code !== 0) throw new Error(r.err);
  return JSON.parse(r.out) as T;
}

async function startController(identity: string, extra: string[] = []): Promise<RunningTollgate> {
  const c = await startTollgate(
    [
      '--kubeconfig',
      cluster.kubeconfig,
      '--namespace',
      NS,
      '--namespaces',
      cluster.namespace,
      '--host',
      '127.0.0.1',
      '--identity',
      identity,
      '--lease-duration',
      '2',
      '--dataplane-accounts',
      `${NS}/tollgate-dataplane`,
      ...extra,
    ],
    { command: 'controller', timeoutMs: 60_000 },
  );
  started.push(c);
  return c;
}

async function startProxy(token: string, port = controller.port, cli?: string): Promise<RunningTollgate> {
  const p = await startTollgate(
    [
      '--discovery',
      `localhost:${port}`,
      '--discovery-ca',
      path.join(dir, 'ca.crt'),
      '--token-file',
      token,
      '--node-id',
      `proxy-${started.length}`,
    ],
    { command: 'dataplane', ...(cli ? { cli } : {}) },
  );
  started.push(p);
  return p;
}

/**
 * A proxy one release behind: this build with a protocol schema that does not know route targets'
 * `match` conditions (added after it), as a rolling upgrade meets one. Returns its CLI entry point.
 */
async function previousReleaseBuild(): Promise<string> {
  const build = await mkdtemp(path.join(os.tmpdir(), 'tollgate-previous-'));
  await cp(path.join(ROOT, 'dist'), path.join(build, 'dist'), { recursive: true });
  await cp(path.join(ROOT, 'protocol/proto'), path.join(build, 'protocol/proto'), { recursive: true });
  await cp(path.join(ROOT, 'crds'), path.join(build, 'crds'), { recursive: true });
  // The dependencies are this checkout's; the workspace packages (@tollgate/*) are the build's own copies.
  await mkdir(path.join(build, 'node_modules/@tollgate'), { recursive: true });
  for (const dep of await readdir(path.join(ROOT, 'node_modules')))
    if (dep !== '@tollgate')
      await symlink(path.join(ROOT, 'node_modules', dep), path.join(build, 'node_modules', dep));
  for (const pkg of ['protocol', 'controller', 'dataplane']) {
    for (const part of ['package.json', 'dist'])
      await cp(path.join(ROOT, pkg, part), path.join(build, pkg, part), { recursive: true });
    await symlink(path.join(build, pkg), path.join(build, 'node_modules/@tollgate', pkg), 'dir');
  }
  const schema = JSON.parse(await readFile(path.join(ROOT, 'protocol/schema/v1alpha1.json'), 'utf8')) as {
    definitions: {
      Consumer: { properties: { routes: { items: { properties: { targets: TargetsSchema } } } } };
    };
  };
  delete schema.definitions.Consumer.properties.routes.items.properties.targets.items.properties.match;
  await mkdir(path.join(build, 'protocol/schema'), { recursive: true });
  await writeFile(path.join(build, 'protocol/schema/v1alpha1.json'), JSON.stringify(schema));
  return path.join(build, 'dist/cli/src/tollgate.js');
}
type TargetsSchema = { items: { properties: Record<string, unknown> } };

/** A chat to any consumer slug of the demo gateway, with extra headers. */
function chatAs(p: RunningTollgate, slug: string, key: string, headers: Record<string, string> = {}) {
  return fetch(`http://127.0.0.1:${p.port}/${slug}/v1/chat/completions`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-ag-gateway-slug': 'demo',
      authorization: `Bearer ${key}`,
      ...headers,
    },
    body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }),
  }).then(async (r) => {
    await r.arrayBuffer();
    return r.status;
  });
}

function chat(p: RunningTollgate, key = 'sk-tollgate-demo-key', model = 'gpt-4o-mini') {
  return fetch(`http://127.0.0.1:${p.port}/my-app/v1/chat/completions`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-ag-gateway-slug': 'demo',
      authorization: `Bearer ${key}`,
    },
    body: JSON.stringify({ model, messages: [{ role: 'user', content: 'hi' }] }),
  }).then(async (r) => {
    await r.arrayBuffer();
    return r.status;
  });
}

type Obj = {
  metadata: { generation: number };
  status?: {
    observedGeneration?: number;
    conditions?: { type: string; status: string; reason: string; message: string }[];
  };
};
const condition = (o: Obj, type: string) => o.status?.conditions?.find((c) => c.type === type);

beforeAll(async () => {
  cluster = await startTestCluster();
  NS = cluster.ns('tollgate-system');
  dir = await mkdtemp(path.join(os.tmpdir(), 'tollgate-ctl-'));
  expect(kubectl(['apply', '-f', path.join(ROOT, 'crds')]).code).toBe(0);
  expect(kubectl(['wait', '--for=condition=Established', 'crd', '--all', '--timeout=60s']).code).toBe(0);
  expect(kubectl(['create', 'namespace', NS]).code).toBe(0);
  for (const sa of ['tollgate-dataplane', 'intruder']) {
    expect(kubectl(['-n', NS, 'create', 'serviceaccount', sa]).code).toBe(0);
    const token = kubectl(['-n', NS, 'create', 'token', sa, '--audience', 'tollgate-discovery']);
    expect(token.code).toBe(0);
    await writeFile(path.join(dir, `${sa}.token`), token.out.trim());
  }
  controller = await startController('c1');
  await eventually(() => kubectl(['-n', NS, 'get', 'configmap', 'tollgate-ca']).code === 0, 20_000);
  const ca = json<{ data: Record<string, string> }>(['-n', NS, 'get', 'configmap', 'tollgate-ca']);
  await writeFile(path.join(dir, 'ca.crt'), ca.data['ca.crt'] ?? '');
  for (let i = 0; i < 2; i++) proxies.push(await startProxy(path.join(dir, 'tollgate-dataplane.token')));
}, 20 * 60_000);

afterAll(async () => {
  for (const p of started) await p.stop('SIGKILL');
  await cluster?.stop();
});

describe('controller on a real API server', () => {
  it('serves the applied quickstart to both proxies over TLS, proxies authenticated by TokenReview', async () => {
    expect(kubectl(['apply', '-f', path.join(ROOT, 'examples/quickstart')]).code).toBe(0);
    for (const p of proxies) await eventually(async () => (await chat(p)) === 200, 20_000);
    const client = new OpenAI({
      apiKey: 'sk-tollgate-demo-key',
      baseURL: `http://127.0.0.1:${proxies[1]?.port}/my-app/v1`,
      defaultHeaders: { 'X-AG-Gateway-Slug': 'demo' },
    });
    const reply = await client.chat.completions.create({
      model: 'smart',
      messages: [{ role: 'user', content: 'hi' }],
    });
    expect(reply.choices[0]?.message.content).toBeTruthy();
    const secret = json<{ type: string; data: Record<string, string> }>([
      '-n',
      NS,
      'get',
      'secret',
      'tollgate-controller-tls',
    ]);
    expect(secret.type).toBe('kubernetes.io/tls');
    expect(Object.keys(secret.data).sort()).toEqual(['ca.crt', 'tls.crt', 'tls.key']);
  }, 60_000);

  it('writes Accepted, ResolvedRefs and Programmed (acknowledged by both proxies) with observedGeneration', async () => {
    for (const ref of ['gateway/demo', 'registry/mock', 'consumer/my-app']) {
      await eventually(() => {
        const o = json<Obj>(['get', ref]);
        return (
          o.status?.observedGeneration === o.metadata.generation &&
          ['Accepted', 'ResolvedRefs', 'Programmed'].every((t) => condition(o, t)?.status === 'True')
        );
      }, 20_000);
      expect(condition(json<Obj>(['get', ref]), 'Programmed')?.message).toBe(
        "acknowledged by 2 proxies of fleet 'default'",
      );
    }
    const lease = json<{ spec: { holderIdentity: string } }>([
      '-n',
      NS,
      'get',
      'lease',
      'tollgate-controller',
    ]);
    expect(lease.spec.holderIdentity).toBe('c1');
    const metrics = await (await fetch(`http://127.0.0.1:${controller.opsPort}/metrics`)).text();
    expect(metrics).toMatch(/^tollgate_controller_connected_proxies 2$/m);
    expect(metrics).toMatch(/^tollgate_controller_leader 1$/m);
    expect(Number(/^tollgate_controller_compile_seconds_count (\d+)$/m.exec(metrics)?.[1])).toBeGreaterThan(
      0,
    );
    const objects = (kind: string, result: string) =>
      Number(
        new RegExp(
          `^tollgate_controller_objects_compiled_total\\{kind="${kind}",result="${result}"\\} (\\d+)$`,
          'm',
        ).exec(metrics)?.[1],
      );
    expect(objects('Consumer', 'compiled')).toBeGreaterThan(0);
  }, 60_000);

  it('programs examples/a2a on both proxies, which serve its agent at /{consumer}/a2a/{agent}', async () => {
    const agent = await startTestAgent('planner-token-replace-me');
    try {
      expect(kubectl(['apply', '-f', path.join(ROOT, 'examples/a2a')]).code).toBe(0);
      expect(
        kubectl([
          'patch',
          'registry',
          'planner',
          '--type',
          'merge',
          '-p',
          JSON.stringify({ spec: { baseUrl: agent.url } }),
        ]).code,
      ).toBe(0);
      for (const ref of ['registry/planner', 'registry/researcher', 'consumer/assistant']) {
        await eventually(() => {
          const o = json<Obj>(['get', ref]);
          return (
            o.status?.observedGeneration === o.metadata.generation &&
            ['Accepted', 'ResolvedRefs', 'Programmed'].every((t) => condition(o, t)?.status === 'True')
          );
        }, 20_000);
      }
      for (const p of proxies) {
        const url = `http://127.0.0.1:${p.port}/assistant/a2a/planner/.well-known/agent-card.json`;
        const headers = { 'x-ag-gateway-slug': 'agents', authorization: 'Bearer sk-assistant-replace-me' };
        await eventually(async () => (await fetch(url, { headers })).status === 200, 20_000);
        const card = (await (await fetch(url, { headers })).json()) as {
          supportedInterfaces: { url: string }[];
        };
        expect(card.supportedInterfaces[0]?.url).toBe(`http://127.0.0.1:${p.port}/assistant/a2a/planner`);
      }
    } finally {
      kubectl(['delete', '-f', path.join(ROOT, 'examples/a2a')]);
      await agent.close();
    }
  }, 60_000);

  it('refuses a proxy whose ServiceAccount may not stream config', async () => {
    const intruder = await startProxy(path.join(dir, 'intruder.token'));
    await eventually(
      () =>
        intruder.logs.some((l) =>
          JSON.stringify(l).includes(`ServiceAccount ${NS}/intruder may not stream config`),
        ),
      15_000,
    );
    const ready = await fetch(`http://127.0.0.1:${intruder.opsPort}/readyz`);
    expect(ready.status).toBe(503);
    await intruder.stop('SIGKILL');
  }, 30_000);

  it('a rejected spec reports status; an invalid one is refused by the API server itself', async () => {
    const bad = kubectl(
      ['apply', '-f', '-'],
      `apiVersion: tollgate.dev/v1alpha1\nkind: Consumer\nmetadata: {name: broken}\nspec: {gatewayRef: {name: demo}, slug: "Not A Slug", credentials: {}, routes: []}\n`,
    );
    expect(bad.code).not.toBe(0);
    expect(bad.err).toMatch(/slug/);
    expect(
      kubectl(
        ['apply', '-f', '-'],
        `apiVersion: tollgate.dev/v1alpha1\nkind: Consumer\nmetadata: {name: orphan}\nspec: {gatewayRef: {name: nowhere}, slug: orphan, credentials: {apiKeys: [{secretRef: {name: my-app-key, key: key}}]}, routes: [{model: x, targets: [{registryRef: {name: mock}}]}]}\n`,
      ).code,
    ).toBe(0);
    await eventually(
      () => condition(json<Obj>(['get', 'consumer/orphan']), 'ResolvedRefs')?.status === 'False',
      20_000,
    );
    const orphan = json<Obj>(['get', 'consumer/orphan']);
    expect(condition(orphan, 'ResolvedRefs')?.message).toMatch(/nowhere/);
    expect(condition(orphan, 'Programmed')?.status).toBe('False');
  }, 60_000);

  it('rotates a Secret: the old key stops working and the new one works on every proxy', async () => {
    const patch = JSON.stringify({ stringData: { key: 'sk-rotated-key' } });
    expect(kubectl(['patch', 'secret', 'my-app-key', '-p', patch]).code).toBe(0);
    for (const p of proxies) {
      await eventually(async () => (await chat(p, 'sk-rotated-key')) === 200, 20_000);
      expect(await chat(p, 'sk-tollgate-demo-key')).toBe(401);
    }
  }, 60_000);

  it('a spec change reaches the proxies and status follows the new generation', async () => {
    const patch = JSON.stringify([{ op: 'remove', path: '/spec/routes/1' }]);
    expect(kubectl(['patch', 'consumer', 'my-app', '--type', 'json', '-p', patch]).code).toBe(0);
    for (const p of proxies)
      await eventually(async () => (await chat(p, 'sk-rotated-key', 'smart')) === 404, 20_000);
    await eventually(() => {
      const o = json<Obj>(['get', 'consumer/my-app']);
      return (
        o.metadata.generation === 2 &&
        o.status?.observedGeneration === 2 &&
        condition(o, 'Programmed')?.status === 'True'
      );
    }, 20_000);
  }, 60_000);

  it('a bad edit is not an outage: the last accepted generation stays served and status names it', async () => {
    // A typo'd model the Registry does not serve: the API server stores it, compile rejects it.
    const typo = JSON.stringify([
      { op: 'add', path: '/spec/routes/0/targets/0/model', value: 'gpt-4o-minii' },
    ]);
    expect(kubectl(['patch', 'consumer', 'my-app', '--type', 'json', '-p', typo]).code).toBe(0);
    await eventually(() => {
      const o = json<Obj>(['get', 'consumer/my-app']);
      return (
        o.metadata.generation === 3 &&
        o.status?.observedGeneration === 3 &&
        condition(o, 'Accepted')?.status === 'False' &&
        condition(o, 'Programmed')?.reason === 'PreviousGeneration'
      );
    }, 20_000);
    for (const p of proxies) expect(await chat(p, 'sk-rotated-key')).toBe(200);
    const o = json<Obj>(['get', 'consumer/my-app']);
    expect(condition(o, 'Accepted')?.message).toMatch(
      /does not serve model 'gpt-4o-minii' \(generation 2, the last accepted, is still served\)$/,
    );
    await eventually(
      () =>
        condition(json<Obj>(['get', 'consumer/my-app']), 'Programmed')?.message ===
        "generation 3 is not accepted; generation 2 is served in its place (acknowledged by 2 proxies of fleet 'default')",
      20_000,
    );
    const metrics = await (await fetch(`http://127.0.0.1:${controller.opsPort}/metrics`)).text();
    expect(metrics).toMatch(
      /^tollgate_controller_objects_not_accepted\{kind="Consumer",served="previous"\} 1$/m,
    );
    // Fixed: the new generation is served and programmed.
    const fix = JSON.stringify([{ op: 'remove', path: '/spec/routes/0/targets/0/model' }]);
    expect(kubectl(['patch', 'consumer', 'my-app', '--type', 'json', '-p', fix]).code).toBe(0);
    await eventually(() => {
      const fixed = json<Obj>(['get', 'consumer/my-app']);
      return (
        fixed.status?.observedGeneration === 4 &&
        ['Accepted', 'Programmed'].every((t) => condition(fixed, t)?.status === 'True')
      );
    }, 20_000);
    for (const p of proxies) expect(await chat(p, 'sk-rotated-key')).toBe(200);
    const after = await (await fetch(`http://127.0.0.1:${controller.opsPort}/metrics`)).text();
    expect(after).not.toMatch(/^tollgate_controller_objects_not_accepted\{.*served="previous"/m);
  }, 60_000);

  it('a proxy one release behind NACKs what it cannot read: a Warning Event and Programmed=False once, no re-send loop, the rest keeps serving', async () => {
    const previous = await startProxy(
      path.join(dir, 'tollgate-dataplane.token'),
      controller.port,
      await previousReleaseBuild(),
    );
    await eventually(async () => (await chat(previous, 'sk-rotated-key')) === 200, 20_000);
    const matched = `apiVersion: tollgate.dev/v1alpha1
kind: Consumer
metadata: {name: matched}
spec:
  gatewayRef: {name: demo}
  slug: matched
  credentials: {apiKeys: [{secretRef: {name: my-app-key, key: key}}]}
  routes:
    - model: gpt-4o-mini
      targets: [{registryRef: {name: mock}, match: [{header: x-tier, values: [gold]}]}]
`;
    expect(kubectl(['apply', '-f', '-'], matched).code).toBe(0);
    const gold = { 'x-tier': 'gold' };
    for (const p of proxies)
      await eventually(async () => (await chatAs(p, 'matched', 'sk-rotated-key', gold)) === 200, 20_000);
    await eventually(
      () => condition(json<Obj>(['get', 'consumer/matched']), 'Programmed')?.reason === 'Rejected',
      20_000,
    );
    const programmed = condition(json<Obj>(['get', 'consumer/matched']), 'Programmed');
    expect(programmed?.status).toBe('False');
    expect(programmed?.message).toMatch(new RegExp(`proxy-\\d+ rejected it: .*${cluster.namespace}/matched`));
    type Events = { items: { reason: string; type: string; message: string; count?: number }[] };
    const rejections = () =>
      json<Events>(['get', 'events', '--field-selector', 'involvedObject.name=matched,reason=Rejected'])
        .items;
    await eventually(() => rejections().length > 0, 20_000);
    const seen = rejections().reduce((n, e) => n + (e.count ?? 1), 0);
    expect(rejections()[0]?.type).toBe('Warning');
    // The refusal is reported once: nothing is re-sent to the proxy in a loop.
    await new Promise((r) => setTimeout(r, 2000));
    expect(rejections().reduce((n, e) => n + (e.count ?? 1), 0)).toBe(seen);
    // The old proxy never applied it and goes on serving everything else.
    expect(await chatAs(previous, 'matched', 'sk-rotated-key', gold)).toBe(404);
    expect(await chat(previous, 'sk-rotated-key')).toBe(200);
    // A spec it can read is ACKed everywhere, and Programmed follows.
    const unmatch = JSON.stringify([{ op: 'remove', path: '/spec/routes/0/targets/0/match' }]);
    expect(kubectl(['patch', 'consumer', 'matched', '--type', 'json', '-p', unmatch]).code).toBe(0);
    await eventually(async () => (await chatAs(previous, 'matched', 'sk-rotated-key')) === 200, 20_000);
    await eventually(
      () => condition(json<Obj>(['get', 'consumer/matched']), 'Programmed')?.status === 'True',
      20_000,
    );
    await previous.stop('SIGKILL');
    expect(kubectl(['delete', 'consumer', 'matched']).code).toBe(0);
  }, 120_000);

  it('proxies keep serving while the controller is gone, then pick up what changed meanwhile', async () => {
    // The previous test's deletion has reached every proxy: the only difference later is ours.
    const gold = { 'x-tier': 'gold' };
    for (const p of proxies)
      await eventually(async () => (await chatAs(p, 'matched', 'sk-rotated-key', gold)) !== 200, 20_000);
    const port = controller.port;
    await controller.stop('SIGKILL');
    expect(await chat(proxies[0] as RunningTollgate, 'sk-rotated-key')).toBe(200);
    const route = JSON.stringify([
      {
        op: 'add',
        path: '/spec/routes/-',
        value: { model: 'extra', targets: [{ registryRef: { name: 'mock' }, model: 'mock-large' }] },
      },
    ]);
    expect(kubectl(['patch', 'consumer', 'my-app', '--type', 'json', '-p', route]).code).toBe(0);
    await new Promise((r) => setTimeout(r, 500));
    expect(await chat(proxies[0] as RunningTollgate, 'sk-rotated-key', 'extra')).toBe(404);
    const seen = proxies.map((p) => p.logs.length);
    // The restarted controller listens where the proxies dial (a Service does this in a cluster).
    controller = await startController('c1', ['--discovery-port', String(port)]);
    for (const p of proxies)
      await eventually(async () => (await chat(p, 'sk-rotated-key', 'extra')) === 200, 30_000);
    expect(await chat(proxies[1] as RunningTollgate, 'sk-rotated-key')).toBe(200);
    // Each proxy offered the versions it held: only the Consumer that changed came again.
    for (const [i, p] of proxies.entries()) {
      // The log line can reach us after the 200 did: they come over different pipes.
      const applied = () => p.logs.slice(seen[i]).filter((l) => l.msg === 'config applied');
      await eventually(() => applied().length > 0, 5_000);
      expect(applied().map((l) => [l.kind, l.updated, l.removed, l.names])).toEqual([
        ['Consumer', 1, 0, [`${cluster.namespace}/my-app`]],
      ]);
    }
  }, 90_000);

  it('deleting a Consumer removes it from every proxy', async () => {
    expect(kubectl(['delete', 'consumer', 'my-app']).code).toBe(0);
    for (const p of proxies) await eventually(async () => (await chat(p, 'sk-rotated-key')) === 404, 20_000);
  }, 60_000);

  it('fails over status writing to another replica when the leader stops', async () => {
    const second = await startController('c2');
    await eventually(() => second.logs.some((l) => l.msg === 'informers synced; serving'), 20_000);
    const holder = () =>
      json<{ spec: { holderIdentity?: string } }>(['-n', NS, 'get', 'lease', 'tollgate-controller']).spec
        .holderIdentity;
    expect(holder()).toBe('c1');
    await controller.stop('SIGTERM');
    await eventually(() => holder() === 'c2', 15_000);
    // The new leader writes status: a fresh Gateway change gets its observedGeneration from c2.
    const patch = JSON.stringify({ spec: { hostnames: ['demo.example.com'] } });
    expect(kubectl(['patch', 'gateway', 'demo', '--type', 'merge', '-p', patch]).code).toBe(0);
    await eventually(() => {
      const o = json<Obj>(['get', 'gateway/demo']);
      return o.metadata.generation > 1 && o.status?.observedGeneration === o.metadata.generation;
    }, 20_000);
  }, 90_000);
});
