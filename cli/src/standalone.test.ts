import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Registry } from 'prom-client';
import { ConfigStore, createLogger } from '@tollgate/dataplane';
import { sameHiddenClass } from '@tollgate/dataplane/testing/hidden-class';
import { openManifests } from './standalone';

/** Standalone mode feeds the store what a proxy would receive over discovery (asReceived). */
describe('the standalone feed', () => {
  it('holds bodies made as discovery makes them (JSON), keeping an unchanged one across reloads', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'tollgate-standalone-'));
    const quickstart = path.join(__dirname, '../../examples/quickstart');
    for (const f of ['gateway.yaml', 'registry.yaml', 'consumer.yaml'])
      await writeFile(path.join(dir, f), await readFile(path.join(quickstart, f), 'utf8'));
    const store = new ConfigStore();
    const logger = createLogger({ level: 'silent', destination: { write: () => undefined } });
    const feed = await (
      await openManifests({ paths: [dir], watch: false })
    ).feed({
      store,
      logger,
      registry: new Registry(),
    });
    try {
      const bodies = () => new Map([...store.current.resources].map(([k, r]) => [k, r.body as object]));
      const first = bodies();
      expect(first.size).toBeGreaterThan(2);
      for (const body of first.values()) {
        const wire = JSON.parse(JSON.stringify(body)) as object;
        expect(body).toEqual(wire);
        expect(sameHiddenClass(body, wire)).toBe(true);
      }
      // A changed Gateway file: the other bodies stay the objects they were.
      const gatewayYaml = await readFile(path.join(dir, 'gateway.yaml'), 'utf8');
      await writeFile(path.join(dir, 'gateway.yaml'), gatewayYaml.replace(/slug: (\S+)/, 'slug: $1-2'));
      expect(await feed.reload()).toBe(true);
      const second = bodies();
      const same = [...second].filter(([k, b]) => first.get(k) === b).map(([k]) => k.split('/')[0]);
      expect(same.length).toBe(second.size - 1);
      expect(same).not.toContain('Gateway');
    } finally {
      await feed.close();
    }
  });
});
