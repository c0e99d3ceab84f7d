import path from 'node:path';
import type { AnyResource } from '@tollgate/protocol';
import type { Consumer, Secret, Status, TollgateObject } from '../api/v1alpha1';
import { loadManifests } from '../manifests/load';
import type { StreamInfo } from '../discovery/server';
import type { CompileStats } from '../compile';
import { Controller, type ObjectRef } from './controller';

const QUICKSTART = path.resolve(__dirname, '../../../examples/quickstart');
const silent = { info: () => undefined, warn: () => undefined, error: () => undefined };

async function setup() {
  const loaded = await loadManifests([QUICKSTART]);
  const served: AnyResource[][] = [];
  const writes: { ref: ObjectRef; status: Status }[] = [];
  const warnings: string[] = [];
  const compiled: CompileStats[] = [];
  const controller: Controller = new Controller({
    identity: 'replica-0',
    logger: silent,
    serve: (resources) => served.push(resources),
    isLeader: () => true,
    writeStatus: async (ref, status) => {
      writes.push({ ref, status });
      // What the API server does: the informer then shows the written status.
      const obj = controller.store.get(ref.kind, ref.namespace, ref.name) as TollgateObject;
      controller.upsert({
        ...obj,
        metadata: { ...obj.metadata, resourceVersion: `${writes.length}` },
        status,
      });
    },
    warn: async (ref, reason, message) => void warnings.push(`${ref.kind}/${ref.name} ${reason}: ${message}`),
    compileDebounce: { quietMs: 1, maxMs: 5 },
    statusDebounce: { quietMs: 1, maxMs: 5 },
    onCompiled: (_ms, stats) => void compiled.push(stats),
  });
  for (const o of [...loaded.objects, ...loaded.secrets]) {
    controller.upsert({ ...o, metadata: { generation: 1, ...o.metadata } } as TollgateObject | Secret);
  }
  await controller.markSynced();
  return { controller, served, writes, warnings, compiled, objects: loaded.objects };
}

const programmed = (status: Status | undefined) => status?.conditions?.find((c) => c.type === 'Programmed');
const ready = (status: Status | undefined) => status?.conditions?.find((c) => c.type === 'Ready');
const proxy: StreamInfo = { id: 1, node: { id: 'proxy-a', cluster: 'default' }, fleet: 'default' };

function ackEverything(controller: Controller, resources: AnyResource[]) {
  for (const kind of ['Gateway', 'Registry', 'Consumer'] as const) {
    const acked = new Map(resources.filter((r) => r.kind === kind).map((r) => [r.name, r.version]));
    controller.hooks.onAck(proxy, `type.tollgate.dev/tollgate.v1alpha1.${kind}`, acked);
  }
}

describe('Controller', () => {
  it('compiles once on sync and writes Accepted/ResolvedRefs with Programmed=False until a proxy acknowledges', async () => {
    const { controller, served, writes } = await setup();
    expect(served).toHaveLength(1);
    expect(served[0]?.map((r) => `${r.kind}/${r.name}`)).toEqual([
      'Gateway/default/demo',
      'Registry/default/mock',
      'Consumer/default/my-app',
    ]);
    expect(writes).toHaveLength(3);
    for (const w of writes) {
      expect(programmed(w.status)).toMatchObject({ status: 'False', reason: 'NoProxies' });
      expect(ready(w.status)).toMatchObject({ status: 'False', reason: 'NoProxies' });
    }

    controller.hooks.onOpen(proxy);
    ackEverything(controller, served[0] ?? []);
    await controller.flush();
    expect(writes).toHaveLength(6);
    for (const w of writes.slice(3)) {
      expect(programmed(w.status)).toMatchObject({ status: 'True', observedGeneration: 1 });
      expect(ready(w.status)).toMatchObject({ status: 'True', reason: 'Ready', observedGeneration: 1 });
    }

    // Nothing changed: nothing is written again.
    controller.refreshStatus();
    await controller.flush();
    expect(writes).toHaveLength(6);
  });

  it('recompiles on a spec change only, and a changed Consumer changes only its own version', async () => {
    const { controller, served, compiled, objects } = await setup();
    const consumer = objects.find((o): o is Consumer => o.kind === 'Consumer') as Consumer;
    controller.upsert({
      ...consumer,
      metadata: { ...consumer.metadata, generation: 1 },
      status: { conditions: [] },
    });
    controller.upsert({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'unrelated', namespace: 'default' },
      data: { x: 'eA==' },
    });
    await controller.flush();
    expect(served).toHaveLength(1);

    controller.upsert({
      ...consumer,
      metadata: { ...consumer.metadata, generation: 2 },
      spec: { ...consumer.spec, routes: consumer.spec.routes?.slice(0, 1) },
    });
    await controller.flush();
    expect(served).toHaveLength(2);
    const before = new Map(served[0]?.map((r) => [`${r.kind}/${r.name}`, r.version]));
    const changed = served[1]
      ?.filter((r) => before.get(`${r.kind}/${r.name}`) !== r.version)
      .map((r) => r.name);
    expect(changed).toEqual(['default/my-app']);
    // and only that Consumer was compiled again
    expect(compiled.at(-1)).toEqual({
      Gateway: { compiled: 0, reused: 1 },
      Registry: { compiled: 0, reused: 1 },
      Consumer: { compiled: 1, reused: 0 },
      Policy: { compiled: 0, reused: 0 },
    });
  });

  it('a referenced Secret rotation recompiles; a deletion removes the resource', async () => {
    const { controller, served, objects } = await setup();
    controller.upsert({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'my-app-key', namespace: 'default' },
      data: { key: Buffer.from('sk-rotated').toString('base64') },
    });
    await controller.flush();
    expect(served).toHaveLength(2);
    const consumer = objects.find((o) => o.kind === 'Consumer') as Consumer;
    controller.remove(consumer);
    await controller.flush();
    expect(served[2]?.some((r) => r.kind === 'Consumer')).toBe(false);
  });

  it('a NACK becomes a Warning event and Programmed=False/Rejected on that object only', async () => {
    const { controller, served, writes, warnings } = await setup();
    controller.hooks.onOpen(proxy);
    ackEverything(controller, served[0] ?? []);
    const consumer = served[0]?.find((r) => r.kind === 'Consumer');
    controller.hooks.onNack({
      stream: proxy,
      node: proxy.node,
      fleet: 'default',
      typeUrl: 'type.tollgate.dev/tollgate.v1alpha1.Consumer',
      resources: [{ name: 'default/my-app', version: consumer?.version ?? '' }],
      message: 'default/my-app: /routes must be array',
    });
    await controller.flush();
    expect(warnings).toEqual([
      `Consumer/my-app Rejected: proxy proxy-a rejected version ${consumer?.version}: default/my-app: /routes must be array`,
    ]);
    const last = new Map(writes.map((w) => [`${w.ref.kind}/${w.ref.name}`, w.status]));
    expect(programmed(last.get('Consumer/my-app'))).toMatchObject({ status: 'False', reason: 'Rejected' });
    expect(programmed(last.get('Gateway/demo'))).toMatchObject({ status: 'True' });
  });

  it('a follower writes no status', async () => {
    const loaded = await loadManifests([QUICKSTART]);
    const writeStatus = jest.fn();
    const c = new Controller({
      identity: 'r1',
      logger: silent,
      serve: () => undefined,
      isLeader: () => false,
      writeStatus,
    });
    for (const o of loaded.objects) c.upsert(o);
    await c.markSynced();
    await c.flush();
    expect(writeStatus).not.toHaveBeenCalled();
    expect(c.ready).toBe(true);
  });
});
