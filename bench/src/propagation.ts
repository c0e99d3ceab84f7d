import path from 'node:path';
import { parseArgs } from 'node:util';
import { Agent, request } from 'undici';
import { GROUP, VERSION, type TollgateObject } from '@tollgate/controller/api/v1alpha1';
import { Compiler, compile } from '@tollgate/controller/compile';
import { diff, fleetViews } from '@tollgate/controller/discovery/state';
import { TYPE_URLS } from '@tollgate/protocol';
import { startTestCluster } from '../../e2e/k8s/apiserver';
import { ROOT, startTollgate, type RunningTollgate } from '../../e2e/process';
import { pluralOf } from '@tollgate/controller/kube/resources';
import { percentile } from './report';

/**
 * npm run bench:propagation — how fast a Kubernetes change reaches traffic, and what compile costs:
 * 1. live: a real kube-apiserver, `tollgate controller`, one `tollgate dataplane`; N sequential
 *    Consumer changes, each timed from the API write to the first 200 through the proxy;
 * 2. offline: compile time and stream payload for 10,000 consumers across 1,000 gateways, and how
 *    many resources one changed consumer puts on the stream.
 */

function bigConfig(gateways: number, consumersPerGateway: number, bump = -1): TollgateObject[] {
  const objects: TollgateObject[] = [];
  for (let g = 0; g < gateways; g++) {
    const namespace = `team-${g}`;
    const meta = (name: string) => ({
      name,
      namespace,
      generation: 1,
      creationTimestamp: '2026-01-01T00:00:00Z',
    });
    objects.push({
      apiVersion: 'tollgate.dev/v1alpha1',
      kind: 'Gateway',
      metadata: meta('gw'),
      spec: { slug: `gw-${g}` },
    } as TollgateObject);
    objects.push({
      apiVersion: 'tollgate.dev/v1alpha1',
      kind: 'Registry',
      metadata: meta('mock'),
      spec: { provider: 'mock', models: [{ name: 'mock-small' }] },
    } as TollgateObject);
    for (let c = 0; c < consumersPerGateway; c++) {
      const i = g * consumersPerGateway + c;
      objects.push({
        apiVersion: 'tollgate.dev/v1alpha1',
        kind: 'Consumer',
        metadata: { ...meta(`c-${c}`), generation: i === bump ? 2 : 1 },
        spec: {
          gatewayRef: { name: 'gw' },
          slug: `c-${c}`,
          credentials: {},
          routes: [{ model: 'mock-small', targets: [{ registryRef: { name: 'mock' } }] }],
        },
      } as TollgateObject);
    }
  }
  return objects;
}

function offline(): Record<string, number> {
  const objects = bigConfig(1000, 10);
  const times: number[] = [];
  let result = compile({ objects, secrets: [] });
  for (let i = 0; i < 3; i++) {
    const t = performance.now();
    result = compile({ objects, secrets: [] });
    times.push(performance.now() - t);
  }
  const views = fleetViews(result.resources, result.fleets);
  let bytes = 0;
  for (const view of views.values())
    for (const byName of view.values()) for (const e of byName.values()) bytes += e.json.length;
  const changed = compile({ objects: bigConfig(1000, 10, 4242), secrets: [] });
  const after = fleetViews(changed.resources, changed.fleets).get('default');
  const before = views.get('default');
  let sent = 0;
  for (const typeUrl of Object.values(TYPE_URLS)) {
    const known = new Map([...(before?.get(typeUrl) ?? [])].map(([name, e]) => [name, e.version]));
    sent += diff(after?.get(typeUrl) ?? new Map(), known).updated.length;
  }
  // The controller keeps one Compiler: a change then recompiles only the objects it affects, and
  // the stream serialises only the bodies that changed. Timed: compile, fleet views and the diff.
  const compiler = new Compiler();
  let previous = fleetViews(compiler.compile({ objects, secrets: [] }).resources, result.fleets);
  const incremental: number[] = [];
  let recompiled = 0;
  for (let i = 0; i < 21; i++) {
    const edited = objects.map((o) =>
      o.kind === 'Consumer' && o.metadata.name === `c-${i % 10}` && o.metadata.namespace === `team-${i}`
        ? ({
            ...o,
            metadata: { ...o.metadata, generation: 2 },
            spec: { ...o.spec, slug: `edited-${i}` },
          } as TollgateObject)
        : o,
    );
    const t = performance.now();
    const next = compiler.compile({ objects: edited, secrets: [] });
    const views = fleetViews(next.resources, next.fleets);
    const known = new Map(
      [...(previous.get('default')?.get(TYPE_URLS.Consumer) ?? [])].map(([n, e]) => [n, e.version]),
    );
    diff(views.get('default')?.get(TYPE_URLS.Consumer) ?? new Map(), known);
    incremental.push(performance.now() - t);
    recompiled = Object.values(compiler.stats ?? {}).reduce((n, x) => n + x.compiled, 0);
    previous = views;
  }
  return {
    consumers: result.resources.filter((r) => r.kind === 'Consumer').length,
    compileMsMedian: [...times].sort((a, b) => a - b)[1] ?? 0,
    oneChangeRecompileMsMedian: percentile(incremental, 50),
    oneChangeRecompileMsMax: Math.max(...incremental),
    objectsRecompiledForOneChange: recompiled,
    payloadBytes: bytes,
    resourcesSentForOneChange: sent,
  };
}

async function live(changes: number): Promise<Record<string, number>> {
  const cluster = await startTestCluster();
  const children: RunningTollgate[] = [];
  try {
    const { kubectl } = cluster;
    kubectl(['apply', '-f', path.join(ROOT, 'crds')]);
    kubectl(['wait', '--for=condition=Established', 'crd', '--all', '--timeout=60s']);
    kubectl(['create', 'namespace', 'tollgate-system']);
    if (kubectl(['apply', '-f', path.join(ROOT, 'examples/quickstart')]).code !== 0)
      throw new Error('quickstart not applied');
    const controller = await startTollgate(
      ['--kubeconfig', cluster.kubeconfig, '--insecure', '--host', '127.0.0.1'],
      { command: 'controller', timeoutMs: 60_000 },
    );
    children.push(controller);
    const proxy = await startTollgate(['--discovery', `127.0.0.1:${controller.port}`], {
      command: 'dataplane',
    });
    children.push(proxy);
    const dispatcher = new Agent({ connections: 1 });
    const chat = async (model: string) => {
      const res = await request(`http://127.0.0.1:${proxy.port}/my-app/v1/chat/completions`, {
        method: 'POST',
        dispatcher,
        headers: {
          'content-type': 'application/json',
          'x-ag-gateway-slug': 'demo',
          authorization: 'Bearer sk-tollgate-demo-key',
        },
        body: JSON.stringify({ model, messages: [{ role: 'user', content: 'hi' }] }),
      });
      await res.body.dump();
      return res.statusCode;
    };
    // Writes go over one kept-alive connection, as client-go's and kubectl's clients hold theirs:
    // @kubernetes/client-node opens a new TLS connection per call, which would time the benchmark's
    // own handshake rather than the API server or Tollgate.
    const token = cluster.token;
    if (!token) throw new Error("the bench writes with the cluster user's bearer token; this user has none");
    const apiServer = new Agent({ connections: 1, connect: { rejectUnauthorized: false } });
    const patch = async (kind: 'Consumer' | 'Registry', name: string, body: object) => {
      const res = await request(
        `${cluster.url}/apis/${GROUP}/${VERSION}/namespaces/default/${pluralOf(kind)}/${name}`,
        {
          method: 'PATCH',
          dispatcher: apiServer,
          headers: {
            authorization: `Bearer ${token}`,
            'content-type': 'application/merge-patch+json',
          },
          body: JSON.stringify(body),
        },
      );
      const text = await res.body.text();
      if (res.statusCode !== 200) throw new Error(`PATCH ${kind} ${name}: ${res.statusCode} ${text}`);
    };
    const base = [{ model: 'gpt-4o-mini', targets: [{ registryRef: { name: 'mock' } }] }];
    for (let t = Date.now(); (await chat('gpt-4o-mini')) !== 200;) {
      if (Date.now() - t > 30_000) throw new Error('proxy never served the quickstart');
      await new Promise((r) => setTimeout(r, 20));
    }
    // The quickstart's mock answers after 20 ms to look like a provider; here it must answer at once,
    // or every sample would carry those 20 ms.
    await patch('Registry', 'mock', { spec: { mock: { latency: '0ms', chunkDelay: '0ms' } } });
    const samples: number[] = [];
    const afterWrite: number[] = [];
    for (let i = 0; i < changes; i++) {
      const model = `p-${i}`;
      const started = performance.now();
      await patch('Consumer', 'my-app', {
        spec: {
          routes: [...base, { model, targets: [{ registryRef: { name: 'mock' }, model: 'mock-small' }] }],
        },
      });
      const written = performance.now();
      // Poll every millisecond rather than in a tight loop: on a small machine a busy poller would
      // starve the very processes whose latency it measures.
      while ((await chat(model)) !== 200) {
        if (performance.now() - started > 10_000) throw new Error(`change ${i} never reached the proxy`);
        await new Promise((r) => setTimeout(r, 1));
      }
      samples.push(performance.now() - started);
      afterWrite.push(performance.now() - written);
    }
    await dispatcher.close();
    await apiServer.close();
    const sorted = [...samples].sort((a, b) => a - b);
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    return {
      changes,
      meanMs: mean(samples),
      p50Ms: percentile(sorted, 50),
      p99Ms: percentile(sorted, 99),
      maxMs: sorted.at(-1) ?? 0,
      // The API server's answer to the write, and from there to the first 200: what Tollgate adds.
      writeMeanMs: mean(samples.map((s, i) => s - (afterWrite[i] ?? 0))),
      afterWriteMeanMs: mean(afterWrite),
      afterWriteP99Ms: percentile(afterWrite, 99),
    };
  } finally {
    for (const c of children) await c.stop('SIGKILL');
    await cluster.stop();
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { changes: { type: 'string', default: '1000' } } });
  const round = (o: Record<string, number>) =>
    Object.fromEntries(Object.entries(o).map(([k, v]) => [k, Math.round(v * 100) / 100]));
  console.log('offline (10,000 consumers, 1,000 gateways):', round(offline()));
  const changes = Number(values.changes);
  if (changes > 0) console.log('live (apply → first 200 through the proxy):', round(await live(changes)));
}

void main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
