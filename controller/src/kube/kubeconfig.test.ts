import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { CoordinationV1Api, KubeConfig } from '@kubernetes/client-node';
import { generateServingCert } from './certs';
import { PooledKubeConfig } from './kubeconfig';

describe('PooledKubeConfig', () => {
  const pem = generateServingCert(['localhost']);
  let server: https.Server;
  let handshakes = 0;
  let url = '';

  beforeAll(async () => {
    server = https.createServer({ cert: pem['tls.crt'], key: pem['tls.key'] }, (req, res) => {
      res.setHeader('content-type', 'application/json');
      res.end(
        JSON.stringify({
          apiVersion: 'coordination.k8s.io/v1',
          kind: 'Lease',
          metadata: { name: 'l', namespace: 'ns', resourceVersion: '1' },
          spec: { holderIdentity: req.headers.authorization === 'Bearer t0ken' ? 'authorized' : 'no' },
        }),
      );
    });
    server.on('secureConnection', () => handshakes++);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  function configure(kc: KubeConfig, ca: string): KubeConfig {
    kc.loadFromOptions({
      clusters: [
        { name: 'c', server: url, caData: Buffer.from(ca).toString('base64'), tlsServerName: 'localhost' },
      ],
      users: [{ name: 'u', token: 't0ken' }],
      contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
      currentContext: 'x',
    });
    return kc;
  }
  async function handshakesFor(kc: KubeConfig, calls: number): Promise<number> {
    const api = kc.makeApiClient(CoordinationV1Api);
    const before = handshakes;
    for (let i = 0; i < calls; i++) {
      const lease = await api.readNamespacedLease({ name: 'l', namespace: 'ns' });
      // the credentials and the CA are still applied to every call
      expect(lease.spec?.holderIdentity).toBe('authorized');
    }
    return handshakes - before;
  }

  it('makes one TLS connection for many calls, where client-node alone makes one per call', async () => {
    expect(await handshakesFor(configure(new PooledKubeConfig(), pem['ca.crt']), 5)).toBe(1);
    expect(await handshakesFor(configure(new KubeConfig(), pem['ca.crt']), 5)).toBe(5);
  });

  it('still verifies the server: a CA that did not sign it fails every call', async () => {
    const other = generateServingCert(['localhost']);
    const api = configure(new PooledKubeConfig(), other['ca.crt']).makeApiClient(CoordinationV1Api);
    await expect(api.readNamespacedLease({ name: 'l', namespace: 'ns' })).rejects.toThrow();
  });
});
