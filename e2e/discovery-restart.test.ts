import net from 'node:net';
import path from 'node:path';
import { DiscoveryServer } from '@tollgate/controller/discovery/server';
import { compile, type CompileResult } from '@tollgate/controller/compile';
import { loadManifests } from '@tollgate/controller/manifests/load';
import { ConfigStore, createLogger } from '@tollgate/dataplane';
import { DiscoveryClient } from '@tollgate/dataplane/discovery/client';
import { contentHash, type AnyResource } from '@tollgate/protocol';
import { eventually } from './process';

/**
 * A proxy with the default reconnect backoff, a controller (the real discovery server over gRPC)
 * that goes away for long enough that a growing backoff would reach seconds, then comes back.
 */
const OUTAGE_MS = 8_000;
const silent = createLogger({ level: 'silent' });

async function config(reply: string): Promise<CompileResult> {
  const result = compile(await loadManifests([path.resolve(__dirname, '../examples/quickstart')]));
  const resources = result.resources.map((r) => {
    if (r.kind !== 'Registry' || !r.body.mock) return r;
    const body = { ...r.body, mock: { ...r.body.mock, reply } };
    return { ...r, version: contentHash(body), body } as AnyResource;
  });
  return { ...result, resources };
}

async function controllerOn(
  result: CompileResult,
  port: number,
): Promise<{ server: DiscoveryServer; port: number }> {
  const server = new DiscoveryServer({ ready: () => true });
  server.setResources(result.resources, result.fleets, `v-${port}-${Date.now()}`);
  return { server, port: await server.listen(`127.0.0.1:${port}`) };
}

const replyIn = (store: ConfigStore) => {
  for (const r of store.current.resources.values())
    if (r.kind === 'Registry' && r.body.mock) return r.body.mock.reply;
  return undefined;
};

it('finds a restarted controller within 2 s after a long outage, and does not hammer it while it is down', async () => {
  const first = await controllerOn(await config('before'), 0);
  const port = first.port;
  const store = new ConfigStore();
  const client = new DiscoveryClient({
    address: `127.0.0.1:${port}`,
    node: { id: 'restart-1', cluster: 'default' },
    store,
    logger: silent,
  });
  client.start();
  try {
    await eventually(() => store.ready && replyIn(store) === 'before', 10_000);
    await first.server.close();

    // The controller's port while it is down: connections are counted and dropped at once.
    const attempts: number[] = [];
    const down = net.createServer((socket) => {
      attempts.push(Date.now());
      socket.destroy();
    });
    await new Promise<void>((resolve) => down.listen(port, '127.0.0.1', resolve));
    const downAt = Date.now();
    await new Promise((r) => setTimeout(r, OUTAGE_MS));
    const upAt = Date.now();
    await new Promise<void>((resolve) => down.close(() => resolve()));

    // Steady state (after the first 2 s): at most ~2 attempts a second, never a gap over 1.5 s.
    const steady = attempts.filter((t) => t >= downAt + 2_000);
    const seconds = (upAt - downAt - 2_000) / 1000;
    expect(steady.length / seconds).toBeLessThanOrEqual(2.5);
    const gaps = [...steady, upAt].map(
      (t, i, all) => t - (i === 0 ? downAt + 2_000 : (all[i - 1] as number)),
    );
    expect(Math.max(...gaps)).toBeLessThanOrEqual(1_500);

    const restartedAt = Date.now();
    const second = await controllerOn(await config('after'), port);
    try {
      await eventually(() => replyIn(store) === 'after', 5_000);
      expect(Date.now() - restartedAt).toBeLessThan(2_000);
    } finally {
      await second.server.close();
    }
  } finally {
    client.stop();
  }
}, 30_000);
