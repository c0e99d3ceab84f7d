import { compile } from '@tollgate/controller/compile/index';
import { DiscoveryServer } from '@tollgate/controller/discovery/server';
import { loadManifests } from '@tollgate/controller/manifests/load';

/** The controller's discovery server on 127.0.0.1, serving the compile of `configDir`. */
export interface DiscoveryFeed {
  /** host:port, for `tollgate dataplane --discovery`. */
  address: string;
  close(): Promise<void>;
}

/**
 * What a proxy pod gets from the controller, without a cluster: the bench config compiled as the
 * controller compiles it, served by its discovery server (the same as e2e/dataplane.test.ts).
 */
export async function startDiscoveryFeed(configDir: string): Promise<DiscoveryFeed> {
  const loaded = await loadManifests([configDir]);
  if (loaded.errors.length > 0) throw new Error(`bench config: ${JSON.stringify(loaded.errors)}`);
  const result = compile(loaded);
  const server = new DiscoveryServer({ ready: () => true });
  server.setResources(result.resources, result.fleets, 'bench');
  const port = await server.listen('127.0.0.1:0');
  return { address: `127.0.0.1:${port}`, close: () => server.close() };
}
