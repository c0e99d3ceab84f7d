import { startTestCluster, type TestCluster } from './apiserver';

/**
 * `USE_EXISTING_CLUSTER=true`: a test file borrows the cluster of `$KUBECONFIG`, works in
 * namespaces of its own and deletes them when it stops. Checked against a cluster started here.
 */
let host: TestCluster;

beforeAll(async () => {
  host = await startTestCluster({ own: true });
}, 20 * 60_000);

afterAll(async () => {
  await host?.stop();
});

async function borrow(): Promise<TestCluster> {
  const saved = { use: process.env.USE_EXISTING_CLUSTER, kubeconfig: process.env.KUBECONFIG };
  process.env.USE_EXISTING_CLUSTER = 'true';
  process.env.KUBECONFIG = host.kubeconfig;
  try {
    return await startTestCluster();
  } finally {
    for (const [key, value] of [
      ['USE_EXISTING_CLUSTER', saved.use],
      ['KUBECONFIG', saved.kubeconfig],
    ] as const) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  }
}

const phase = (ns: string) =>
  (
    JSON.parse(host.kubectl(['get', 'namespace', ns, '-o', 'json']).out || '{}') as {
      status?: { phase?: string };
    }
  ).status?.phase;

describe('an existing cluster (USE_EXISTING_CLUSTER=true)', () => {
  it('is used through a namespace of its own, which objects without one land in', async () => {
    const borrowed = await borrow();
    try {
      expect(borrowed.namespace).toMatch(/^tollgate-e2e-[0-9a-f]{6}$/);
      expect(borrowed.url).toBe(host.url);
      expect(borrowed.token).toBe(host.token);
      expect(phase(borrowed.namespace)).toBe('Active');
      const applied = borrowed.kubectl(
        ['apply', '-f', '-'],
        'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: probe}\ndata: {a: b}\n',
      );
      expect(applied.code).toBe(0);
      expect(host.kubectl(['-n', borrowed.namespace, 'get', 'configmap', 'probe']).code).toBe(0);
      expect(host.kubectl(['-n', 'default', 'get', 'configmap', 'probe']).code).not.toBe(0);
    } finally {
      await borrowed.stop();
    }
  }, 60_000);

  it('names the namespaces a test asks for uniquely and deletes them all when it stops', async () => {
    const a = await borrow();
    const b = await borrow();
    const system = a.ns('tollgate-system');
    expect(system).not.toBe(b.ns('tollgate-system'));
    expect(a.kubectl(['create', 'namespace', system]).code).toBe(0);
    await a.stop();
    await b.stop();
    // This API server runs no namespace controller, so deleted namespaces stay Terminating.
    for (const ns of [a.namespace, system, b.namespace]) expect(phase(ns)).toBe('Terminating');
  }, 60_000);

  it('refuses a kubeconfig whose cluster does not answer', async () => {
    const saved = process.env.KUBECONFIG;
    process.env.USE_EXISTING_CLUSTER = 'true';
    process.env.KUBECONFIG = '/nonexistent/kubeconfig';
    try {
      await expect(startTestCluster()).rejects.toThrow(/USE_EXISTING_CLUSTER: \/nonexistent\/kubeconfig/);
    } finally {
      delete process.env.USE_EXISTING_CLUSTER;
      if (saved === undefined) delete process.env.KUBECONFIG;
      else process.env.KUBECONFIG = saved;
    }
  });
});
