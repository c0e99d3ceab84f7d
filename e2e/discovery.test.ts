import path from 'node:path';
import { DiscoveryServer, type NackReport } from '@tollgate/controller/discovery/server';
import { compile, type CompileResult } from '@tollgate/controller/compile';
import { loadManifests } from '@tollgate/controller/manifests/load';
import { ConfigStore, createLogger, startDataplane, type Dataplane } from '@tollgate/dataplane';
import { DiscoveryClient, nextBackoff } from '@tollgate/dataplane/discovery/client';
import { contentHash, type AnyResource } from '@tollgate/protocol';
import { eventually } from './process';

/** Controller-side server and proxy-side client over real gRPC on 127.0.0.1. */
const QUICKSTART = path.resolve(__dirname, '../examples/quickstart');
const silent = createLogger({ level: 'silent' });

async function quickstart(): Promise<CompileResult> {
  const loaded = await loadManifests([QUICKSTART]);
  return compile(loaded);
}

function withConsumerReply(result: CompileResult, reply: string): CompileResult {
  // a changed registry body is a changed version: exactly one resource differs
  const resources = result.resources.map((r) => {
    if (r.kind !== 'Registry' || !r.body.mock) return r;
    const body = { ...r.body, mock: { ...r.body.mock, reply } };
    return { ...r, version: contentHash(body), body } as AnyResource;
  });
  return { ...result, resources };
}

describe('delta discovery over gRPC', () => {
  let server: DiscoveryServer;
  let port: number;
  let ready = true;
  const nacks: NackReport[] = [];
  let dataplane: Dataplane;
  let client: DiscoveryClient;

  async function startServer(result: CompileResult, at = 0) {
    server = new DiscoveryServer({ ready: () => ready, onNack: (r) => nacks.push(r) });
    server.setResources(result.resources, result.fleets, 'v1');
    port = await server.listen(`127.0.0.1:${at}`);
  }

  beforeAll(async () => {
    await startServer(await quickstart());
    dataplane = await startDataplane({ port: 0, opsPort: 0, store: new ConfigStore(), logger: silent });
    client = new DiscoveryClient({
      address: `127.0.0.1:${port}`,
      node: { id: 'proxy-1', cluster: 'default' },
      store: dataplane.store,
      logger: silent,
      backoff: { initialMs: 10, maxMs: 200 },
    });
    client.start();
  });
  afterAll(async () => {
    client.stop();
    await dataplane.close(0);
    await server.close();
  });

  const ask = async () => {
    const res = await fetch(`http://127.0.0.1:${dataplane.port}/my-app/v1/chat/completions`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-ag-gateway-slug': 'demo',
        authorization: 'Bearer sk-tollgate-demo-key',
      },
      body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }),
    });
    return { status: res.status, text: await res.text() };
  };

  it('syncs every type, reports ready, and serves traffic from streamed config', async () => {
    await eventually(() => dataplane.store.ready);
    expect((await fetch(`http://127.0.0.1:${dataplane.opsPort}/readyz`)).status).toBe(200);
    expect((await ask()).status).toBe(200);
  });

  it('sends only the one resource that changed', async () => {
    const spy = jest.spyOn(dataplane.store, 'applyDelta');
    server.setResources(
      withConsumerReply(await quickstart(), 'changed').resources,
      (await quickstart()).fleets,
      'v2',
    );
    await eventually(async () => (await ask()).text.includes('changed'));
    expect(spy).toHaveBeenCalledTimes(1);
    const [updated, removed] = spy.mock.calls[0] ?? [[], []];
    expect(updated.map((r) => `${r.kind}/${r.name}`)).toEqual(['Registry/default/mock']);
    expect(removed).toEqual([]);
    spy.mockRestore();
  });

  it('keeps serving when the controller is gone, and on reconnect receives only the differences', async () => {
    const current = withConsumerReply(await quickstart(), 'changed');
    await server.close();
    expect((await ask()).text).toContain('changed');
    const spy = jest.spyOn(dataplane.store, 'applyDelta');
    await startServer(withConsumerReply(await quickstart(), 'after restart'), port);
    await eventually(async () => (await ask()).text.includes('after restart'), 10_000);
    const delivered = spy.mock.calls.flatMap(([updated]) => updated.map((r) => `${r.kind}/${r.name}`));
    expect(delivered).toEqual(['Registry/default/mock']);
    spy.mockRestore();
    void current;
  });

  it('applies good resources, NACKs a bad one by name once, and never re-sends it in a loop', async () => {
    const base = withConsumerReply(await quickstart(), 'after restart');
    const bad = {
      kind: 'Gateway',
      name: 'default/broken',
      version: '0123456789abcdef',
      body: { slug: 'NOT A SLUG' },
    } as unknown as AnyResource;
    const fleets = { default: [...(base.fleets.default ?? []), 'Gateway/default/broken'] };
    server.setResources([...base.resources, bad], fleets, 'v3');
    await eventually(() => nacks.length > 0);
    expect(nacks).toHaveLength(1);
    expect(nacks[0]?.resources).toEqual([{ name: 'default/broken', version: '0123456789abcdef' }]);
    expect(nacks[0]?.message).toContain('default/broken: ');
    server.setResources([...base.resources, bad], fleets, 'v4');
    await new Promise((r) => setTimeout(r, 200));
    expect(nacks).toHaveLength(1);
    expect((await ask()).status).toBe(200);
  });

  it('gives each proxy only its fleet', async () => {
    const store = new ConfigStore();
    const edge = new DiscoveryClient({
      address: `127.0.0.1:${port}`,
      node: { id: 'edge-1', cluster: 'edge' },
      store,
      logger: silent,
    });
    edge.start();
    await eventually(() => store.ready);
    expect(store.current.resources.size).toBe(0);
    edge.stop();
  });

  it('refuses streams until the controller is synced, and the client retries with backoff', async () => {
    ready = false;
    const store = new ConfigStore();
    const late = new DiscoveryClient({
      address: `127.0.0.1:${port}`,
      node: { id: 'late', cluster: 'default' },
      store,
      logger: silent,
      backoff: { initialMs: 10, maxMs: 50 },
    });
    late.start();
    await new Promise((r) => setTimeout(r, 150));
    expect(store.ready).toBe(false);
    ready = true;
    await eventually(() => store.ready);
    expect(store.current.gatewaysBySlug.has('demo')).toBe(true);
    late.stop();
  });
});

describe('reconnect backoff', () => {
  it('doubles from the initial delay up to the cap, jittered within the upper half', () => {
    expect(nextBackoff(0, 10, 15_000, () => 0)).toBe(5);
    expect(nextBackoff(0, 10, 15_000, () => 1)).toBe(10);
    expect(nextBackoff(10, 10, 15_000, () => 1)).toBe(20);
    expect(nextBackoff(10_000, 10, 15_000, () => 1)).toBe(15_000);
    expect(nextBackoff(15_000, 10, 15_000, () => 0)).toBe(7_500);
  });
});
