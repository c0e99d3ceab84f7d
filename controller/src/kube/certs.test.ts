import { X509Certificate, createPrivateKey } from 'node:crypto';
import { createServer, connect } from 'node:tls';
import type { AddressInfo } from 'node:net';
import { generateServingCert, serviceDnsNames } from './certs';

describe('generateServingCert', () => {
  const pem = generateServingCert(serviceDnsNames('tollgate-controller', 'tollgate-system'));

  it('issues a CA and a serving certificate for every Service name, signed by that CA', () => {
    const ca = new X509Certificate(pem['ca.crt']);
    const leaf = new X509Certificate(pem['tls.crt']);
    expect(ca.ca).toBe(true);
    expect(leaf.ca).toBe(false);
    expect(leaf.verify(ca.publicKey)).toBe(true);
    expect(leaf.checkIssued(ca)).toBe(true);
    expect(leaf.subjectAltName).toContain('DNS:tollgate-controller.tollgate-system.svc');
    expect(leaf.subjectAltName).toContain('IP Address:127.0.0.1');
    expect(createPrivateKey(pem['tls.key']).asymmetricKeyType).toBe('rsa');
  });

  it('is accepted by a TLS client that trusts only the CA, for the Service name', async () => {
    const server = createServer({ cert: pem['tls.crt'], key: pem['tls.key'] }, (s) => s.end('ok'));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    const dial = (servername: string) =>
      new Promise<string>((resolve, reject) => {
        const s = connect({ port, host: '127.0.0.1', servername, ca: pem['ca.crt'] }, () => undefined);
        s.on('data', (d) => resolve(d.toString()));
        s.on('error', (e) => reject(e));
      });
    try {
      await expect(dial('tollgate-controller.tollgate-system.svc')).resolves.toBe('ok');
      await expect(dial('evil.example.com')).rejects.toThrow(/altnames/);
    } finally {
      server.close();
    }
  });
});
